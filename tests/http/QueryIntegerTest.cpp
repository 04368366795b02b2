// Integers in a query string are plain decimal digits: a filter a terminal
// mistyped or a script padded ("1,0" read as ten, " 1", "+1", a value past
// 2^63) must be refused with 422 naming the parameter, never read as some
// other number and answered with the wrong patient's list.

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;

namespace {

struct Case {
    std::string path;
    std::string field;
};

} // namespace

class QueryIntegerTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(QueryIntegerTest);
    CPPUNIT_TEST(idFiltersThatAreNotPlainDigitsAre422NamingTheParameter);
    CPPUNIT_TEST(limitAndCursorThatAreNotPlainDigitsAre422NamingTheParameter);
    CPPUNIT_TEST(plainIntegersAreStillAccepted);
    CPPUNIT_TEST_SUITE_END();

public:
    void idFiltersThatAreNotPlainDigitsAre422NamingTheParameter()
    {
        assertAllRefused({
            {"/api/v1/appointments?patient_id=1,0", "patient_id"},
            {"/api/v1/appointments?patient_id=+1", "patient_id"},
            {"/api/v1/appointments?patient_id=%201", "patient_id"},
            {"/api/v1/appointments?doctor_id=9223372036854775808", "doctor_id"},
            {"/api/v1/appointments?doctor_id=1%20", "doctor_id"},
            {"/api/v1/audit?patient_id=1,0", "patient_id"},
            {"/api/v1/audit?actor_id=+1", "actor_id"},
            {"/api/v1/audit?patient_id=%201", "patient_id"},
            {"/api/v1/audit?actor_id=18446744073709551617", "actor_id"},
        });
    }

    void limitAndCursorThatAreNotPlainDigitsAre422NamingTheParameter()
    {
        assertAllRefused({
            {"/api/v1/patients?limit=abc", "limit"},
            {"/api/v1/patients?limit=1,0", "limit"},
            {"/api/v1/patients?limit=+5", "limit"},
            {"/api/v1/patients?cursor=1.5", "cursor"},
            {"/api/v1/patients?cursor=%201", "cursor"},
            {"/api/v1/patients?cursor=9223372036854775808", "cursor"},
            {"/api/v1/audit?limit=abc", "limit"},
            {"/api/v1/audit?cursor=1.5", "cursor"},
            {"/api/v1/audit?cursor=1,0", "cursor"},
            {"/api/v1/appointments?limit=abc", "limit"},
            {"/api/v1/appointments?limit=%2010", "limit"},
        });
    }

    void plainIntegersAreStillAccepted()
    {
        Daemon d(listsDaemon());
        auto admin = d.adminClient();
        for (const std::string path : {"/api/v1/appointments?patient_id=1&limit=10",
                 "/api/v1/audit?actor_id=1&limit=5", "/api/v1/patients?limit=500&cursor=0"}) {
            auto r = admin.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path + ": " + r.body, 200, r.status);
        }
    }

private:
    static Daemon::Options listsDaemon()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records,scheduling";
        return o;
    }

    static void assertAllRefused(const std::vector<Case>& cases)
    {
        Daemon d(listsDaemon());
        auto admin = d.adminClient();
        std::string failures;
        for (const auto& c : cases) {
            auto r = admin.get(c.path);
            try {
                assertEnvelope(r, 422, "VALIDATION_FAILED");
                auto fields = r.json()->getObject("error")->getObject("details")->getObject("fields");
                CPPUNIT_ASSERT_MESSAGE(
                    "details.fields does not name " + c.field, fields && fields->has(c.field));
            } catch (const CppUnit::Exception&) {
                failures += "\n  " + c.path + ": " + std::to_string(r.status) + " " + r.body.substr(0, 160);
            }
        }
        CPPUNIT_ASSERT_MESSAGE("query integers accepted or refused wrongly:" + failures, failures.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(QueryIntegerTest);
