// Plugin-owned services through the real clinicd: a consumer plugin
// (servicestest) finds the example plugin's example.notes.v1 and the
// scheduling plugin's scheduling.appointments.v1 through their public
// headers, across libraries built with hidden visibility, and answers
// clearly when a provider is not loaded.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

std::string str(std::int64_t n)
{
    return std::to_string(n);
}

/// An appointment row written straight into scheduling's table: the lookup
/// is read-only, and this pins exactly what it must read back.
void insertAppointment(
    const Daemon& d, std::int64_t id, std::int64_t patient, const std::string& status, std::int64_t start)
{
    sqlOutput(d,
        "INSERT INTO scheduling_appointments (id, series_id, patient_id, doctor_id, service_id, location_id,"
        " start_utc, end_utc, status, notes, sequence, price_minor, currency, fee_minor, cancel_reason,"
        " created_at, created_by, updated_at) VALUES ("
            + str(id) + ", " + str(id) + ", " + str(patient) + ", 7, 8, 9, " + str(start) + ", "
            + str(start + 1800) + ", '" + status + "', '', 0, 0, 'RON', 0, '', 0, 1, 0)");
}

std::vector<std::int64_t> ids(const Poco::JSON::Object::Ptr& page)
{
    std::vector<std::int64_t> out;
    auto items = page->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"));
    return out;
}

HttpResult ok(HttpClient& c, const std::string& path)
{
    auto r = c.get(path);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(path + " -> " + r.body, 200, r.status);
    return r;
}

} // namespace

class ServicesDaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ServicesDaemonTest);
    CPPUNIT_TEST(consumerFindsTheExamplePluginsNotes);
    CPPUNIT_TEST(consumerAnswersClearlyWithoutTheExamplePlugin);
    CPPUNIT_TEST(appointmentLookupAnswersByIdAndByPatient);
    CPPUNIT_TEST_SUITE_END();

public:
    void consumerFindsTheExamplePluginsNotes()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "servicestest,example";
        Daemon d(o);
        auto c = d.client();
        auto first = ok(c, "/api/v1/servicestest/notes").json();
        CPPUNIT_ASSERT_MESSAGE(d.log(), first->getValue<bool>("found"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), first->getValue<Poco::Int64>("count"));

        auto created = c.post("/api/v1/example/notes", R"({"text":"found across libraries"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        const auto id = created.json()->getValue<Poco::Int64>("id");
        auto after = ok(c, "/api/v1/servicestest/notes?id=" + str(id)).json();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), after->getValue<Poco::Int64>("count"));
        CPPUNIT_ASSERT_EQUAL(std::string("found across libraries"), after->getValue<std::string>("text"));
        auto none = ok(c, "/api/v1/servicestest/notes?id=" + str(id + 1)).json();
        CPPUNIT_ASSERT(none->isNull("text"));
    }

    void consumerAnswersClearlyWithoutTheExamplePlugin()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "servicestest";
        Daemon d(o);
        auto c = d.client();
        auto r = ok(c, "/api/v1/servicestest/notes").json();
        CPPUNIT_ASSERT(!r->getValue<bool>("found"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("example.notes.v1 is not published: the example plugin is not loaded"),
            r->getValue<std::string>("detail"));
        auto lookup = ok(c, "/api/v1/servicestest/appointments/1").json();
        CPPUNIT_ASSERT(!lookup->getValue<bool>("found"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("scheduling.appointments.v1"), lookup->getValue<std::string>("service"));
        auto ready = c.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body, 200, ready.status);
    }

    void appointmentLookupAnswersByIdAndByPatient()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records,scheduling,servicestest";
        Daemon d(o);
        auto c = d.client();
        const std::int64_t day = 1800000000;
        insertAppointment(d, 101, 5, "completed", day + 3600);
        insertAppointment(d, 102, 5, "cancelled", day);
        insertAppointment(d, 103, 5, "confirmed", day + 7200);
        insertAppointment(d, 104, 6, "completed", day + 3600);
        insertAppointment(d, 105, 5, "completed", day + 86400);

        auto one = ok(c, "/api/v1/servicestest/appointments/101").json();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), one->getValue<Poco::Int64>("patient_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), one->getValue<Poco::Int64>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(8), one->getValue<Poco::Int64>("service_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(9), one->getValue<Poco::Int64>("location_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), one->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(day + 3600), one->getValue<Poco::Int64>("start_utc"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(day + 5400), one->getValue<Poco::Int64>("end_utc"));
        CPPUNIT_ASSERT_EQUAL(404, c.get("/api/v1/servicestest/appointments/999").status);

        const std::string base = "/api/v1/servicestest/patients/5/appointments";
        // Start order, then id; only patient 5's.
        CPPUNIT_ASSERT((std::vector<std::int64_t> {102, 101, 103, 105} == ids(ok(c, base).json())));
        CPPUNIT_ASSERT(
            (std::vector<std::int64_t> {101, 105} == ids(ok(c, base + "?status=completed").json())));
        CPPUNIT_ASSERT((std::vector<std::int64_t> {101, 103}
            == ids(ok(c, base + "?from=" + str(day + 1) + "&to=" + str(day + 86400)).json())));
        CPPUNIT_ASSERT((std::vector<std::int64_t> {101}
            == ids(ok(c, base + "?status=completed&in_tx=1&from=" + str(day) + "&to=" + str(day + 86400))
                       .json())));

        // Pages of two: the cursor carries on where the last page ended.
        auto page1 = ok(c, base + "?limit=2").json();
        CPPUNIT_ASSERT((std::vector<std::int64_t> {102, 101} == ids(page1)));
        auto next = page1->getObject("next");
        CPPUNIT_ASSERT_MESSAGE("a full page names the next", next);
        auto page2 = ok(c,
            base + "?limit=2&after_start=" + str(next->getValue<Poco::Int64>("after_start"))
                + "&after_id=" + str(next->getValue<Poco::Int64>("after_id")))
                         .json();
        CPPUNIT_ASSERT((std::vector<std::int64_t> {103, 105} == ids(page2)));
        CPPUNIT_ASSERT_MESSAGE("the last page names no next", !page2->has("next"));
        CPPUNIT_ASSERT(ids(ok(c, "/api/v1/servicestest/patients/77/appointments").json()).empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServicesDaemonTest);
