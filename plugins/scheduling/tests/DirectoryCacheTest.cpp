// Booking and availability keep the directory (doctors, hours, services,
// locations) in memory; a change made through another daemon on the same
// database must still be seen by the next request, through the change
// counter both daemons read.

#include <cppunit/extensions/HelperMacros.h>

#include <ctime>
#include <string>

#include "DemoClinicBooking.h"
#include "TestSupport.h"

using namespace clinic::test;
using namespace clinic::test::bench;

namespace {

class DirectoryCacheTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DirectoryCacheTest);
    CPPUNIT_TEST(aChangeThroughAnotherDaemonIsSeenByTheNextRequest);
    CPPUNIT_TEST_SUITE_END();

    static long long created(HttpClient& c, const std::string& path, const std::string& body)
    {
        auto r = c.post(path, body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(path + ": " + r.body, 201, r.status);
        return r.json()->getValue<Poco::Int64>("id");
    }

    static std::size_t freeSlots(HttpClient& c, const std::string& path)
    {
        auto r = c.get(path);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        return r.json()->getArray("items")->size();
    }

public:
    void aChangeThroughAnotherDaemonIsSeenByTheNextRequest()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records,scheduling";
        o.config["auth.rate_limit_per_minute"] = "0";
        Daemon first(o);
        auto one = first.adminClient();
        DemoDoctor like;
        like.location = created(one, "/api/v1/locations",
            R"({"name":"Cache Clinic","address":"Str. 1","city":"Cluj","county":"Cluj","timezone":"Europe/Bucharest"})");
        like.service = created(one, "/api/v1/services",
            R"({"name":"Check","department":"cardiology","duration_min":15,"price_minor":100,"currency":"RON"})");
        const long long doctor = createBenchDoctors(one, like, 1, 1, "cache test").front().id;
        const long long today = static_cast<long long>(std::time(nullptr)) / 86400;
        const std::string path = "/api/v1/availability?doctor_id=" + std::to_string(doctor) + "&service_id="
            + std::to_string(like.service) + "&from=" + isoDate(today + 1) + "&to=" + isoDate(today + 7);
        // Every day 08:00-20:00 in 15-minute slots, now kept by the first daemon.
        CPPUNIT_ASSERT_EQUAL(std::size_t(7 * 48), freeSlots(one, path));

        auto secondOptions = o;
        secondOptions.dbUrl = first.dbUrl();
        Daemon second(secondOptions);
        auto two = second.adminClient();
        auto hours = two.request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours",
            R"([{"weekday":1,"start":"09:00","end":"10:00","location_id":)" + std::to_string(like.location)
                + "}]");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("one Monday hour in the week", std::size_t(4), freeSlots(one, path));

        auto service = two.request(
            "PATCH", "/api/v1/services/" + std::to_string(like.service), R"({"duration_min":30})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(service.body, 200, service.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("30-minute slots in that hour", std::size_t(2), freeSlots(one, path));

        // Booking reads the same facts: a Tuesday is no longer a working day.
        const long long patient = createBenchPatients(one, 1).front();
        long long tuesday = today + 1;
        while ((tuesday + 3) % 7 != 1) // 1970-01-01 was a Thursday: (day + 3) % 7 is 1 on Tuesdays
            ++tuesday;
        auto refused = one.post("/api/v1/appointments",
            bookingBody(patient, {doctor, like.service, isoDate(tuesday) + "T09:00:00+02:00"}));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 422, refused.status);
    }
};

} // namespace

CPPUNIT_TEST_SUITE_REGISTRATION(DirectoryCacheTest);
