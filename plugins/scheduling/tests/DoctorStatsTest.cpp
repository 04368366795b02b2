// A doctor's statistics: the counts, utilisation of working hours across a
// spring-forward day and less time off, the lead time, who may see them,
// the audit row, and bad ranges refused.

#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "ClinicFixture.h"

using namespace clinic::test;

class DoctorStatsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DoctorStatsTest);
    CPPUNIT_TEST(statsCountUtiliseAndAreTheDoctorsOwn);
    CPPUNIT_TEST_SUITE_END();

public:
    void statsCountUtiliseAndAreTheDoctorsOwn()
    {
        ClinicFixture::Options o;
        // Monday 2027-03-22, 08:00 in Bucharest; Sunday 2027-03-28 the
        // clocks go from 03:00 to 04:00.
        o.daemon.config["clock.start"] = "2027-03-22T06:00:00Z";
        o.accountPrefix = "stats";
        o.roles = {"doctor", "nurse", "receptionist", "patient"};
        ClinicFixture k(o);
        auto& c = k.client();
        const auto admin = k.as("admin"), desk = k.as("receptionist");
        auto str = [](std::int64_t n) { return std::to_string(n); };
        const auto location = k.newLocation("Europe/Bucharest");
        const auto service = k.newService(30, "Consult", 10000, "cardiology");
        const auto doctor = createdId(c.post("/api/v1/doctors",
            R"({"name":"Dr. Stats","specialty":"cardiology","location_id":)" + str(location)
                + R"(,"service_ids":[)" + str(service) + R"(],"user_id":)" + str(k.account("doctor").id)
                + "}",
            admin));
        const auto other = k.newDoctor(location, {service});
        // Saturday 09:00-13:00 (240 minutes) and Sunday 00:00-06:00 local:
        // on the 28th that is 300 real minutes, not 360.
        auto hours = c.request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours",
            R"([{"weekday":6,"start":"09:00","end":"13:00","location_id":)" + str(location)
                + R"(},{"weekday":7,"start":"00:00","end":"06:00","location_id":)" + str(location) + "}]",
            admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);
        // An hour off on Saturday.
        auto off = c.post("/api/v1/doctors/" + str(doctor) + "/time-off",
            R"({"start":"2027-03-27T12:00:00+02:00","end":"2027-03-27T13:00:00+02:00","reason":"meeting"})",
            desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(off.body, 201, off.status);
        auto book = [&](const std::string& start) {
            return createdId(c.post("/api/v1/appointments",
                R"({"patient_id":)" + str(k.patient()) + R"(,"doctor_id":)" + str(doctor)
                    + R"(,"service_id":)" + str(service) + R"(,"start":")" + start + "\"}",
                desk));
        };
        book("2027-03-27T09:00:00+02:00");
        book("2027-03-27T09:30:00+02:00");
        const auto cancelled = book("2027-03-27T10:00:00+02:00");
        book("2027-03-28T04:00:00+03:00");
        CPPUNIT_ASSERT_EQUAL(200,
            c.post("/api/v1/appointments/" + str(cancelled) + "/cancel", R"({"reason":"x"})", desk).status);

        const std::string path = "/api/v1/doctors/" + str(doctor) + "/stats?from=2027-03-27&to=2027-03-28";
        auto r = c.get(path, k.as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto s = r.json();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(4), s->getValue<Poco::Int64>("booked"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), s->getValue<Poco::Int64>("cancelled"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), s->getValue<Poco::Int64>("completed"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), s->getValue<Poco::Int64>("no_show"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(90), s->getValue<Poco::Int64>("booked_minutes"));
        // 240 - 60 off on Saturday, 300 on the short Sunday.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(480), s->getValue<Poco::Int64>("working_minutes"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(90.0 / 480.0, s->getValue<double>("utilisation"), 1e-9);
        // Booked at about 06:00Z on the 22nd for 07:00Z, 07:30Z and 08:00Z
        // on the 27th and 01:00Z on the 28th: (7260 + 7290 + 7320 + 8340) / 4
        // minutes ahead, less the seconds the set-up took.
        const double lead = s->getValue<double>("average_lead_time_minutes");
        CPPUNIT_ASSERT_DOUBLES_EQUAL_MESSAGE(r.body, 7552.5 - 2.5, lead, 2.5);
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Bucharest"), s->getValue<std::string>("timezone"));

        // Admin sees any doctor's; the doctor not another's; other roles none.
        CPPUNIT_ASSERT_EQUAL(200, c.get(path, admin).status);
        const std::string others = "/api/v1/doctors/" + str(other) + "/stats?from=2027-03-27&to=2027-03-28";
        CPPUNIT_ASSERT_EQUAL(403, c.get(others, k.as("doctor")).status);
        CPPUNIT_ASSERT_EQUAL(
            404, c.get("/api/v1/doctors/999999/stats?from=2027-03-27&to=2027-03-28", k.as("doctor")).status);
        CPPUNIT_ASSERT_EQUAL(
            404, c.get("/api/v1/doctors/999999/stats?from=2027-03-27&to=2027-03-28", admin).status);
        CPPUNIT_ASSERT_EQUAL(403, c.get(path, k.as("nurse")).status);
        CPPUNIT_ASSERT_EQUAL(403, c.get(path, desk).status);
        CPPUNIT_ASSERT_EQUAL(2L,
            k.count("audit_log",
                "action = 'doctor.stats' AND object_id = '" + str(doctor) + "' AND outcome = 'ok'"));
        CPPUNIT_ASSERT_EQUAL(1L,
            k.count("audit_log",
                "action = 'doctor.stats' AND object_id = '" + str(other) + "' AND outcome = 'denied'"));

        // Bad ranges.
        for (const std::string q : {"from=2027-03-27", "to=2027-03-27", "from=2027-02-30&to=2027-03-01",
                 "from=2027-03-28&to=2027-03-27", "from=2027-01-01&to=2027-03-05", "from=x&to=y"}) {
            auto bad = c.get("/api/v1/doctors/" + str(doctor) + "/stats?" + q, admin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(q + " -> " + bad.body, 422, bad.status);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DoctorStatsTest);
