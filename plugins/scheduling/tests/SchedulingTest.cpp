// The scheduling plugin through the real clinicd. One daemon serves the
// suite; its clock starts on 2027-01-01 so the DST days of 2027 lie ahead.
// Every test makes its own locations, services and doctors, so the tests do
// not depend on each other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

ClinicFixture& fixture()
{
    static std::unique_ptr<ClinicFixture> c;
    if (!c) {
        ClinicFixture::Options o;
        o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
        o.accountPrefix = "sched";
        c = std::make_unique<ClinicFixture>(o);
    }
    return *c;
}

HttpClient& client()
{
    return fixture().client();
}

std::map<std::string, std::string> as(const std::string& role)
{
    return fixture().as(role);
}

long count(const std::string& table, const std::string& where = "1=1")
{
    return fixture().count(table, where);
}

std::int64_t newLocation(const std::string& zone, const std::string& city = "București")
{
    return fixture().newLocation(zone, city);
}

std::int64_t newService(int minutes)
{
    return fixture().newService(minutes);
}

std::int64_t newDoctor(std::int64_t location, std::int64_t service,
    const std::string& specialty = "cardiology", const std::string& name = "Dr. Test")
{
    return fixture().newDoctor(location, {service}, specialty, name);
}

void putHours(std::int64_t doctor, const std::string& body)
{
    auto r
        = client().request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", body, as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
}

/// The slots' start (or end) strings.
std::vector<std::string> slots(const std::string& query, const std::string& field = "start")
{
    auto r = client().get("/api/v1/availability?" + query, as("patient"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto items = r.json()->getArray("items");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>(field));
    return out;
}

std::string avail(std::int64_t doctor, std::int64_t service, const std::string& from, const std::string& to)
{
    return "doctor_id=" + std::to_string(doctor) + "&service_id=" + std::to_string(service) + "&from=" + from
        + "&to=" + to;
}

std::string joined(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

Poco::JSON::Object::Ptr invalidFields(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

} // namespace

class SchedulingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SchedulingTest);
    CPPUNIT_TEST(directoryCreateReadChangeAndSearch);
    CPPUNIT_TEST(badDirectoryInputIsRefusedAndNothingWritten);
    CPPUNIT_TEST(hoursAreReplacedAndBadHoursRefused);
    CPPUNIT_TEST(timeOffRemovesSlotsAndBadTimeOffIsRefused);
    CPPUNIT_TEST(rolesAnswerAsDocumented);
    CPPUNIT_TEST(availabilityRefusesBadRanges);
    CPPUNIT_TEST(bucharestSpringForwardHasNoSlotInTheMissingHour);
    CPPUNIT_TEST(bucharestFallBackListsNoSlotTwice);
    CPPUNIT_TEST(halfHourZonesStartOnLocalBoundaries);
    CPPUNIT_TEST(availabilityAcrossDoctorsAndNothingInThePast);
    CPPUNIT_TEST(locationHolidaysCloseTheDay);
    CPPUNIT_TEST(seedDemoTwiceLoadsTheDemoClinicOnce);
    CPPUNIT_TEST(anAppointmentReadIsAuditedWithTheCallersReason);
    CPPUNIT_TEST_SUITE_END();

public:
    void directoryCreateReadChangeAndSearch()
    {
        auto& c = client();
        const auto location = newLocation("Europe/Bucharest", "Craiova");
        auto got = c.get("/api/v1/locations/" + std::to_string(location), as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(got.body, 200, got.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Bucharest"), got.json()->getValue<std::string>("timezone"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.json()->getArray("opening_hours")->size());
        auto patched = c.request("PATCH", "/api/v1/locations/" + std::to_string(location),
            R"({"county":"Dolj","timezone":"Europe/Bucharest"})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patched.body, 200, patched.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Dolj"), patched.json()->getValue<std::string>("county"));
        CPPUNIT_ASSERT_EQUAL(std::string("Craiova"), patched.json()->getValue<std::string>("city"));

        const auto service = newService(30);
        auto ps = c.request(
            "PATCH", "/api/v1/services/" + std::to_string(service), R"({"price_minor":40000})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ps.body, 200, ps.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(40000), ps.json()->getValue<Poco::Int64>("price_minor"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), ps.json()->getValue<Poco::Int64>("duration_min"));
        auto gs = c.get("/api/v1/services/" + std::to_string(service), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(40000), gs.json()->getValue<Poco::Int64>("price_minor"));

        const auto doctor = newDoctor(location, service, "nephrology", "Dr. Ioana Vlădescu");
        auto pd = c.request("PATCH", "/api/v1/doctors/" + std::to_string(doctor),
            R"({"user_id":)" + std::to_string(fixture().account("doctor").id) + "}", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(pd.body, 200, pd.status);
        auto gd = c.get("/api/v1/doctors/" + std::to_string(doctor), as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(gd.body, 200, gd.status);
        CPPUNIT_ASSERT_EQUAL(fixture().account("doctor").id, gd.json()->getValue<Poco::Int64>("user_id"));
        CPPUNIT_ASSERT_EQUAL(service, gd.json()->getArray("service_ids")->getElement<Poco::Int64>(0));

        for (const std::string& q : std::vector<std::string> {"q=vl%C4%83desc", "specialty=nephrology",
                 "city=Craiova", "county=Dolj", "location_id=" + std::to_string(location)}) {
            auto r = c.get("/api/v1/doctors?" + q, as("patient"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            auto items = r.json()->getArray("items");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(q + ": " + r.body, std::size_t(1), items->size());
            CPPUNIT_ASSERT_EQUAL(doctor, items->getObject(0)->getValue<Poco::Int64>("id"));
        }
        auto none = c.get("/api/v1/doctors?specialty=nephrology&city=Iasi", as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), none.json()->getArray("items")->size());

        // Pages follow the cursor.
        newLocation("Europe/Bucharest");
        auto page = c.get("/api/v1/locations?limit=1", as("patient"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), page.json()->getArray("items")->size());
        CPPUNIT_ASSERT(!page.json()->isNull("next_cursor"));
        auto rest
            = c.get("/api/v1/locations?limit=500&cursor=" + page.json()->getValue<std::string>("next_cursor"),
                as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(rest.body, 200, rest.status);
        CPPUNIT_ASSERT(rest.json()->getArray("items")->size() >= 1);
        CPPUNIT_ASSERT(rest.json()->isNull("next_cursor"));
    }

    void badDirectoryInputIsRefusedAndNothingWritten()
    {
        auto& c = client();
        const long locations = count("scheduling_locations"), services = count("scheduling_services"),
                   doctors = count("scheduling_doctors");
        auto tz = invalidFields(c.post("/api/v1/locations",
            R"({"name":"X","address":"Y","city":"Z","county":"W","timezone":"Europe/Atlantis"})",
            as("admin")));
        CPPUNIT_ASSERT(tz->has("timezone"));
        auto oh = invalidFields(c.post("/api/v1/locations",
            R"({"name":"X","address":"Y","city":"Z","county":"W","timezone":"UTC",)"
            R"("opening_hours":[{"weekday":8,"start":"09:00","end":"08:00"}]})",
            as("admin")));
        CPPUNIT_ASSERT(oh->has("opening_hours[0].weekday"));
        auto types = invalidFields(c.post("/api/v1/services",
            R"({"name":"X","department":"Y","duration_min":"30","price_minor":1.5,"currency":"ron"})",
            as("admin")));
        CPPUNIT_ASSERT(types->has("duration_min"));
        CPPUNIT_ASSERT(types->has("price_minor"));
        CPPUNIT_ASSERT(types->has("currency"));
        auto ids = invalidFields(c.post("/api/v1/doctors",
            R"({"name":"X","specialty":"Y","location_id":999999,"service_ids":[999999],"user_id":999999})",
            as("admin")));
        CPPUNIT_ASSERT(ids->has("location_id"));
        CPPUNIT_ASSERT(ids->has("service_ids"));
        CPPUNIT_ASSERT(ids->has("user_id"));
        auto malformed = c.post("/api/v1/services", "{not json", as("admin"));
        CPPUNIT_ASSERT_EQUAL(400, malformed.status);
        CPPUNIT_ASSERT_EQUAL(
            404, c.request("PATCH", "/api/v1/doctors/999999", R"({"name":"X"})", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.get("/api/v1/locations/999999", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.get("/api/v1/services/abc", as("admin")).status);
        const auto location = newLocation("Europe/Bucharest");
        auto patchTz = invalidFields(c.request("PATCH", "/api/v1/locations/" + std::to_string(location),
            R"({"timezone":"Mars/Olympus_Mons"})", as("admin")));
        CPPUNIT_ASSERT(patchTz->has("timezone"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("scheduling_locations",
                "id = " + std::to_string(location) + " AND timezone = 'Europe/Bucharest'"));
        CPPUNIT_ASSERT_EQUAL(locations + 1, count("scheduling_locations"));
        CPPUNIT_ASSERT_EQUAL(services, count("scheduling_services"));
        CPPUNIT_ASSERT_EQUAL(doctors, count("scheduling_doctors"));
    }

    void hoursAreReplacedAndBadHoursRefused()
    {
        auto& c = client();
        const auto location = newLocation("Europe/Bucharest");
        const auto doctor = newDoctor(location, newService(30));
        const std::string path = "/api/v1/doctors/" + std::to_string(doctor) + "/hours";
        const std::string loc = std::to_string(location);
        putHours(doctor,
            R"([{"weekday":1,"start":"09:00","end":"13:00","location_id":)" + loc
                + R"(},{"weekday":1,"start":"14:00","end":"18:00","location_id":)" + loc + "}]");
        putHours(doctor, R"([{"weekday":2,"start":"08:00","end":"12:00","location_id":)" + loc + "}]");
        const std::string who = "doctor_id = " + std::to_string(doctor);
        CPPUNIT_ASSERT_EQUAL(1L, count("scheduling_working_hours", who));
        const std::vector<std::string> bad = {
            R"([{"weekday":0,"start":"09:00","end":"13:00","location_id":)" + loc + "}]",
            R"([{"weekday":1,"start":"9:00","end":"13:00","location_id":)" + loc + "}]",
            R"([{"weekday":1,"start":"25:00","end":"26:00","location_id":)" + loc + "}]",
            R"([{"weekday":1,"start":"13:00","end":"09:00","location_id":)" + loc + "}]",
            R"([{"weekday":1,"start":"09:00","end":"13:00","location_id":999999}])",
            R"([{"weekday":1,"start":"09:00","end":"13:00","location_id":)" + loc
                + R"(},{"weekday":1,"start":"12:00","end":"15:00","location_id":)" + loc + "}]",
            R"([{"weekday":"1","start":"09:00","end":"13:00","location_id":)" + loc + "}]",
            R"({"hours":"Mondays"})",
        };
        for (const auto& body : bad) {
            auto r = c.request("PUT", path, body, as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(400, c.request("PUT", path, "[{", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.request("PUT", "/api/v1/doctors/999999/hours", "[]", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(
            1L, count("scheduling_working_hours", who + " AND weekday = 2 AND start_min = 480"));
        auto got = c.get("/api/v1/doctors/" + std::to_string(doctor), as("patient"));
        auto hours = got.json()->getArray("hours");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), hours->size());
        CPPUNIT_ASSERT_EQUAL(std::string("08:00"), hours->getObject(0)->getValue<std::string>("start"));
    }

    void timeOffRemovesSlotsAndBadTimeOffIsRefused()
    {
        auto& c = client();
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(30);
        const auto doctor = newDoctor(location, service);
        putHours(doctor,
            R"([{"weekday":1,"start":"09:00","end":"11:00","location_id":)" + std::to_string(location)
                + "}]");
        const std::string q = avail(doctor, service, "2027-01-11", "2027-01-11");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T09:00:00+02:00 2027-01-11T09:30:00+02:00 "
                                         "2027-01-11T10:00:00+02:00 2027-01-11T10:30:00+02:00"),
            joined(slots(q)));
        const std::string path = "/api/v1/doctors/" + std::to_string(doctor) + "/time-off";
        auto off = c.post(path,
            R"({"start":"2027-01-11T09:30:00+02:00","end":"2027-01-11T08:30:00Z","reason":"meeting"})",
            as("receptionist"));
        const auto tid = createdId(off);
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T09:30:00+02:00"), off.json()->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T09:00:00+02:00 2027-01-11T10:30:00+02:00"), joined(slots(q)));
        auto listed = c.get(path, as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), listed.json()->getArray("items")->size());

        const long before = count("scheduling_time_off");
        for (const std::string body : {R"({"start":"2027-01-11T10:00:00Z","end":"2027-01-11T09:00:00Z"})",
                 R"({"start":"2027-02-30T10:00:00Z","end":"2027-03-01T09:00:00Z"})",
                 R"({"start":"2027-01-11T10:00:00","end":"2027-01-11T11:00:00Z"})",
                 R"({"start":1700000000,"end":"2027-01-11T11:00:00Z"})",
                 R"({"end":"2027-01-11T11:00:00Z"})"}) {
            auto r = c.post(path, body, as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(404,
            c.post("/api/v1/doctors/999999/time-off",
                 R"({"start":"2027-01-11T10:00:00Z","end":"2027-01-11T11:00:00Z"})", as("admin"))
                .status);
        CPPUNIT_ASSERT_EQUAL(before, count("scheduling_time_off"));

        CPPUNIT_ASSERT_EQUAL(404, c.request("DELETE", path + "/999999", "", as("admin")).status);
        auto del = c.request("DELETE", path + "/" + std::to_string(tid), "", as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(del.body, 204, del.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), slots(q).size());
    }

    void rolesAnswerAsDocumented()
    {
        auto& c = client();
        const auto location = newLocation("Europe/Bucharest");
        const std::string doctorBody
            = R"({"name":"Dr. X","specialty":"y","location_id":)" + std::to_string(location) + "}";
        const long doctors = count("scheduling_doctors");
        CPPUNIT_ASSERT_EQUAL(403, c.post("/api/v1/doctors", doctorBody, as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(403, c.post("/api/v1/doctors", doctorBody, as("receptionist")).status);
        CPPUNIT_ASSERT_EQUAL(401, c.post("/api/v1/doctors", doctorBody).status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/doctors").status);
        CPPUNIT_ASSERT_EQUAL(doctors, count("scheduling_doctors"));
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/doctors", as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/locations", as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/services", as("patient")).status);
        const auto doctor = createdId(c.post("/api/v1/doctors", doctorBody, as("admin")));
        const std::string timeOff = "/api/v1/doctors/" + std::to_string(doctor) + "/time-off";
        CPPUNIT_ASSERT_EQUAL(403, c.get(timeOff, as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(403,
            c.post(timeOff, R"({"start":"2027-01-11T10:00:00Z","end":"2027-01-11T11:00:00Z"})", as("doctor"))
                .status);
        CPPUNIT_ASSERT_EQUAL(403,
            c.request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[]", as("receptionist"))
                .status);
    }

    void availabilityRefusesBadRanges()
    {
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(30);
        const auto doctor = newDoctor(location, service);
        const auto other = newService(20);
        auto& c = client();
        auto bad = [&](const std::string& query, const std::string& field) {
            auto fields = invalidFields(c.get("/api/v1/availability?" + query, as("patient")));
            CPPUNIT_ASSERT_MESSAGE(query, fields->has(field));
        };
        bad(avail(doctor, service, "2027-01-01", "2027-03-04"), "to"); // 63 days
        bad(avail(doctor, service, "2027-02-30", "2027-03-01"), "from");
        bad(avail(doctor, service, "2027-03-01", "2027-02-28"), "to");
        bad(avail(doctor, service, "2027-3-1", "2027-03-02"), "from");
        bad(avail(999999, service, "2027-03-01", "2027-03-02"), "doctor_id");
        bad(avail(doctor, 999999, "2027-03-01", "2027-03-02"), "service_id");
        bad(avail(doctor, other, "2027-03-01", "2027-03-02"), "service_id");
        bad("service_id=" + std::to_string(service) + "&from=2027-03-01&to=2027-03-02", "doctor_id");
        bad("doctor_id=x&service_id=1&from=2027-03-01&to=2027-03-02", "doctor_id");
        // 62 days is the limit, not over it.
        CPPUNIT_ASSERT(slots(avail(doctor, service, "2027-01-01", "2027-03-03")).empty());
    }

    void bucharestSpringForwardHasNoSlotInTheMissingHour()
    {
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(30);
        const auto doctor = newDoctor(location, service);
        // 2027-03-28 is a Sunday: at 03:00 the clocks go to 04:00.
        putHours(doctor,
            R"([{"weekday":7,"start":"02:00","end":"06:00","location_id":)" + std::to_string(location)
                + "}]");
        const std::string q = avail(doctor, service, "2027-03-28", "2027-03-28");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T02:00:00+02:00 2027-03-28T02:30:00+02:00 "
                                         "2027-03-28T04:00:00+03:00 2027-03-28T04:30:00+03:00 "
                                         "2027-03-28T05:00:00+03:00 2027-03-28T05:30:00+03:00"),
            joined(slots(q)));
        // Each slot lasts 30 real minutes: the one from 02:30 EET ends at 04:00 EEST.
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T02:30:00+02:00 2027-03-28T04:00:00+03:00 "
                                         "2027-03-28T04:30:00+03:00 2027-03-28T05:00:00+03:00 "
                                         "2027-03-28T05:30:00+03:00 2027-03-28T06:00:00+03:00"),
            joined(slots(q, "end")));
        // The Sundays around it are ordinary: eight slots each.
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(8), slots(avail(doctor, service, "2027-03-21", "2027-03-21")).size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(8), slots(avail(doctor, service, "2027-04-04", "2027-04-04")).size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(22), slots(avail(doctor, service, "2027-03-21", "2027-04-04")).size());
    }

    void bucharestFallBackListsNoSlotTwice()
    {
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(30);
        const auto doctor = newDoctor(location, service);
        // 2027-10-31 is a Sunday: at 04:00 the clocks go back to 03:00.
        putHours(doctor,
            R"([{"weekday":7,"start":"02:00","end":"06:00","location_id":)" + std::to_string(location)
                + "}]");
        const auto starts = slots(avail(doctor, service, "2027-10-31", "2027-10-31"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T02:00:00+03:00 2027-10-31T02:30:00+03:00 "
                                         "2027-10-31T03:00:00+03:00 2027-10-31T03:30:00+03:00 "
                                         "2027-10-31T04:00:00+02:00 2027-10-31T04:30:00+02:00 "
                                         "2027-10-31T05:00:00+02:00 2027-10-31T05:30:00+02:00"),
            joined(starts));
        std::set<std::string> wallClock;
        for (const auto& s : starts)
            CPPUNIT_ASSERT_MESSAGE(s, wallClock.insert(s.substr(0, 19)).second);
    }

    void halfHourZonesStartOnLocalBoundaries()
    {
        const auto kolkata = newLocation("Asia/Kolkata", "Mumbai");
        const auto service = newService(45);
        const auto doctor = newDoctor(kolkata, service);
        putHours(doctor,
            R"([{"weekday":1,"start":"09:00","end":"11:00","location_id":)" + std::to_string(kolkata) + "}]");
        // 2027-01-11 is a Monday; a third 45-minute slot would end at 11:15.
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T09:00:00+05:30 2027-01-11T09:45:00+05:30"),
            joined(slots(avail(doctor, service, "2027-01-11", "2027-01-11"))));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T09:45:00+05:30 2027-01-11T10:30:00+05:30"),
            joined(slots(avail(doctor, service, "2027-01-11", "2027-01-11"), "end")));

        // Adelaide: +10:30 in summer, +09:30 in winter; on Sunday 2027-04-04
        // 03:00 ACDT becomes 02:00 ACST.
        const auto adelaide = newLocation("Australia/Adelaide", "Adelaide");
        const auto service30 = newService(30);
        const auto doctor2 = newDoctor(adelaide, service30);
        putHours(doctor2,
            R"([{"weekday":7,"start":"01:00","end":"04:00","location_id":)" + std::to_string(adelaide)
                + "}]");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-04-04T01:00:00+10:30 2027-04-04T01:30:00+10:30 "
                                         "2027-04-04T02:00:00+10:30 2027-04-04T02:30:00+10:30 "
                                         "2027-04-04T03:00:00+09:30 2027-04-04T03:30:00+09:30"),
            joined(slots(avail(doctor2, service30, "2027-04-04", "2027-04-04"))));
    }

    void availabilityAcrossDoctorsAndNothingInThePast()
    {
        const auto a = newLocation("Europe/Bucharest");
        const auto b = newLocation("Europe/Bucharest");
        const auto service = newService(60);
        const auto first = newDoctor(a, service, "rheumatology");
        const auto second = newDoctor(b, service, "rheumatology");
        putHours(first,
            R"([{"weekday":1,"start":"09:00","end":"11:00","location_id":)" + std::to_string(a) + "}]");
        putHours(second,
            R"([{"weekday":1,"start":"10:00","end":"11:00","location_id":)" + std::to_string(b) + "}]");
        const std::string window
            = "&service_id=" + std::to_string(service) + "&from=2027-01-11&to=2027-01-11";
        auto all = slots("specialty=rheumatology" + window);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T09:00:00+02:00 2027-01-11T10:00:00+02:00 "
                                         "2027-01-11T10:00:00+02:00"),
            joined(all));
        auto onlyB = slots("specialty=rheumatology&location_id=" + std::to_string(b) + window);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), onlyB.size());
        // The clock starts on 2027-01-01: Monday 2026-12-28 is past.
        CPPUNIT_ASSERT(slots(avail(first, service, "2026-12-28", "2026-12-28")).empty());
    }

    void locationHolidaysCloseTheDay()
    {
        auto& c = client();
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(60);
        const auto doctor = newDoctor(location, service);
        putHours(doctor,
            R"([{"weekday":1,"start":"09:00","end":"11:00","location_id":)" + std::to_string(location)
                + "}]");
        const std::string q = avail(doctor, service, "2027-01-11", "2027-01-18");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), slots(q).size());
        const std::string path = "/api/v1/locations/" + std::to_string(location);
        auto r = c.request(
            "PATCH", path, R"({"holidays":[{"date":"2027-01-11","name":"Inventory day"}]})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11"),
            r.json()->getArray("holidays")->getObject(0)->getValue<std::string>("date"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-18T09:00:00+02:00 2027-01-18T10:00:00+02:00"), joined(slots(q)));
        for (const std::string body :
            {R"({"holidays":[{"date":"2027-02-30"}]})", R"({"holidays":"2027-01-18"})",
                R"({"holidays":[{"date":"2027-01-18"},{"date":"2027-01-18"}]})",
                R"({"holidays":[{"date":"2027-01-18","name":5}]})"}) {
            auto bad = c.request("PATCH", path, body, as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + bad.body, 422, bad.status);
        }
        CPPUNIT_ASSERT_EQUAL(
            1L, count("scheduling_location_holidays", "location_id = " + std::to_string(location)));
        auto cleared = c.request("PATCH", path, R"({"holidays":[]})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cleared.body, 200, cleared.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), slots(q).size());
    }

    void seedDemoTwiceLoadsTheDemoClinicOnce()
    {
        auto& d = fixture().daemon();
        for (int round = 0; round < 2; ++round) {
            auto r = runProcess(binary("clinicctl"),
                {"--config=" + d.configFile(), "seed-demo", "--dir=" + sourceDir() + "/data/demo"});
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.exitCode);
            CPPUNIT_ASSERT_MESSAGE(
                r.out, r.out.find("2 locations, 8 services, 6 doctors") != std::string::npos);
            if (round == 1)
                CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("nothing new") != std::string::npos);
        }
        CPPUNIT_ASSERT_EQUAL(2L, count("scheduling_locations", "demo_key IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(8L, count("scheduling_services", "demo_key IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(6L, count("scheduling_doctors", "demo_key IS NOT NULL"));
        const long hours = count("scheduling_working_hours",
            "doctor_id IN (SELECT id FROM scheduling_doctors WHERE demo_key IS NOT NULL)");
        CPPUNIT_ASSERT(hours > 6);
        // The demo clinic answers through the API.
        auto r = client().get("/api/v1/doctors?specialty=cardiology&county=Ilfov", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT(r.json()->getArray("items")->size() >= 1);
    }

    // The audit trail takes the reason from the request itself: the
    // X-Access-Reason header first, else ?reason=, as the records plugin's
    // reads always did.
    void anAppointmentReadIsAuditedWithTheCallersReason()
    {
        const auto location = newLocation("Europe/Bucharest");
        const auto service = newService(30);
        const auto doctor = newDoctor(location, service);
        putHours(doctor,
            R"([{"weekday":1,"start":"08:00","end":"12:00","location_id":)" + std::to_string(location)
                + "}]");
        const auto id = createdId(client().post("/api/v1/appointments",
            R"({"patient_id":)" + std::to_string(fixture().patient()) + R"(,"doctor_id":)"
                + std::to_string(doctor) + R"(,"service_id":)" + std::to_string(service)
                + R"(,"start":"2027-01-11T09:00:00+02:00"})",
            as("receptionist")));
        const std::string path = "/api/v1/appointments/" + std::to_string(id);
        auto headers = as("nurse");
        headers["X-Access-Reason"] = "triage call";
        CPPUNIT_ASSERT_EQUAL(200, client().get(path + "?reason=ignored", headers).status);
        CPPUNIT_ASSERT_EQUAL(200, client().get(path + "?reason=second%20opinion", as("nurse")).status);
        const std::string read = "action = 'appointment.read' AND object_id = '" + std::to_string(id) + "'";
        CPPUNIT_ASSERT_EQUAL(1L, count("audit_log", read + " AND reason = 'triage call'"));
        CPPUNIT_ASSERT_EQUAL(1L, count("audit_log", read + " AND reason = 'second opinion'"));
        CPPUNIT_ASSERT_EQUAL(0L, count("audit_log", read + " AND reason = 'ignored'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SchedulingTest);
