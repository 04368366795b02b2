// A patient's vitals and lab results page by id through the real clinicd:
// ?limit= rows per page, next_cursor the last row's id while more follow,
// null on the last page, and no row twice or left out.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

const std::string kVitals = R"({"taken_at":"2026-01-10T09:30:00+02:00","systolic":120,"diastolic":80})";
const std::string kLab = R"({"test":"HbA1c","value":"6.1","unit":"%","taken_at":"2026-01-10T08:00:00Z"})";

ClinicFixture& fixture()
{
    static std::unique_ptr<ClinicFixture> c;
    if (!c) {
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records");
        o.accountPrefix = "paging";
        o.roles = {"doctor"};
        c = std::make_unique<ClinicFixture>(o);
    }
    return *c;
}

/// Walks every page of a list two rows at a time; the ids in the order served.
std::vector<std::int64_t> walk(const std::string& list)
{
    std::vector<std::int64_t> ids;
    std::string cursor;
    for (int pages = 0; pages < 10; ++pages) {
        auto r = fixture().client().get(
            list + "?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), fixture().as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto items = r.json()->getArray("items");
        CPPUNIT_ASSERT_MESSAGE(r.body, items->size() <= 2);
        for (std::size_t i = 0; i < items->size(); ++i)
            ids.push_back(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"));
        if (r.json()->isNull("next_cursor"))
            return ids;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::size_t(2), items->size());
        cursor = r.json()->getValue<std::string>("next_cursor");
        CPPUNIT_ASSERT_EQUAL(std::to_string(ids.back()), cursor);
    }
    CPPUNIT_FAIL("more than ten pages of two rows for " + list);
    return ids;
}

void pagesServeEveryRowOnce(const std::string& rest, const std::string& body)
{
    const auto patient = fixture().newPatient(
        R"({"first_name":"Pagina","last_name":"Lista","birth_date":"1970-02-02","sex":"male",)"
        R"("phone":"+40 700 000 009","force":true})");
    const std::string list = "/api/v1/patients/" + std::to_string(patient) + rest;
    std::vector<std::int64_t> made;
    for (int i = 0; i < 5; ++i)
        made.push_back(createdId(fixture().client().post(list, body, fixture().as("doctor"))));
    CPPUNIT_ASSERT(walk(list) == made);
}

} // namespace

class RecordsPagingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordsPagingTest);
    CPPUNIT_TEST(vitalsPageByIdWithoutLosingOrRepeatingARow);
    CPPUNIT_TEST(labResultsPageByIdWithoutLosingOrRepeatingARow);
    CPPUNIT_TEST_SUITE_END();

public:
    void vitalsPageByIdWithoutLosingOrRepeatingARow() { pagesServeEveryRowOnce("/vitals", kVitals); }
    void labResultsPageByIdWithoutLosingOrRepeatingARow() { pagesServeEveryRowOnce("/lab-results", kLab); }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RecordsPagingTest);
