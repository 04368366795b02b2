// Booking through the real clinicd: the happy path and what it writes (audit,
// jobs, occupancy), collisions, the lifecycle, rescheduling, recurrence, the
// waitlist, who may book for whom, bad input answered 4xx with nothing
// written, and bookings across DST changes and in a half-hour zone.
//
// One daemon serves the suite; its clock starts on 2027-01-01 (a Friday) so
// the DST days of 2027 lie ahead. Its rules.dir is an empty folder: the
// default rules' notice and cancellation policy are the calendar/rules
// suite's subject, not this one's. Every test makes its own location,
// service and doctor, so the tests do not depend on each other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

struct World {
    std::unique_ptr<TempDir> rules; ///< an empty rules.dir
    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<HttpClient> client;
    std::map<std::string, Account> as; ///< by role; "patient2" is a second patient's account
    std::int64_t patient = 0; ///< the "patient" account's patient
    std::int64_t patient2 = 0; ///< the "patient2" account's patient
};

std::int64_t newPatient(HttpClient& c, const Account& admin, const std::string& first)
{
    auto r = c.post("/api/v1/patients",
        R"({"first_name":")" + first
            + R"(","last_name":"Booking","birth_date":"1980-01-01","sex":"female",)"
              R"("phone":"+40 700 000 001","force":true})",
        bearer(admin.accessToken));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

void setUpAccounts(World& w)
{
    auto& c = *w.client;
    w.as["admin"] = firstAdmin(*w.daemon, c);
    w.patient = newPatient(c, w.as["admin"], "Ana");
    w.patient2 = newPatient(c, w.as["admin"], "Bogdan");
    for (const std::string role : {"nurse", "receptionist", "patient"})
        w.as[role] = createAndSignIn(c, w.as["admin"], "book." + role, role,
            role == "patient" ? "\"patient_id\":" + std::to_string(w.patient) : "");
    w.as["patient2"] = createAndSignIn(
        c, w.as["admin"], "book.patient2", "patient", "\"patient_id\":" + std::to_string(w.patient2));
}

World& world()
{
    static World w;
    if (w.daemon)
        return w;
    w.rules = std::make_unique<TempDir>();
    Daemon::Options o;
    o.config["plugins.load"] = "records,scheduling";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.config["rules.dir"] = w.rules->path();
    o.config["http.max_body_bytes"] = "65536";
    auto daemon = std::make_unique<Daemon>(o);
    CPPUNIT_ASSERT_MESSAGE(
        daemon->log(), daemon->log().find("started plugin scheduling") != std::string::npos);
    w.daemon = std::move(daemon);
    w.client = std::make_unique<HttpClient>("127.0.0.1", w.daemon->port());
    try {
        setUpAccounts(w);
    } catch (const std::exception& e) {
        const std::string log = w.daemon->log();
        w.daemon.reset();
        throw std::runtime_error(
            std::string(e.what()) + "\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    }
    return w;
}

HttpClient& client()
{
    return *world().client;
}

std::map<std::string, std::string> as(const std::string& role)
{
    return bearer(world().as[role].accessToken);
}

std::string str(std::int64_t n)
{
    return std::to_string(n);
}

std::string sql(const Daemon& daemon, const std::string& statement)
{
    return sqlOutput(daemon, statement);
}

std::string sql(const std::string& statement)
{
    return sqlOutput(*world().daemon, statement);
}

long count(const std::string& table, const std::string& where = "1=1")
{
    return countRows(*world().daemon, table, where);
}

Poco::JSON::Object::Ptr createdJson(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json();
}

std::int64_t created(const HttpResult& r)
{
    return createdJson(r)->getValue<Poco::Int64>("id");
}

/// An error envelope with this status and code.
void refused(const HttpResult& r, int status, const std::string& code, const std::string& what = "")
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, status, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, code, r.errorCode());
}

Poco::JSON::Object::Ptr invalidFields(const HttpResult& r, const std::string& what = "")
{
    refused(r, 422, "VALIDATION_FAILED", what);
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

/// A JSON string literal.
std::string quoted(const std::string& text)
{
    Poco::JSON::Object o;
    o.set("v", text);
    std::ostringstream out;
    o.stringify(out);
    const std::string s = out.str(); // {"v":"..."}
    return s.substr(5, s.size() - 6);
}

// ---- the directory -----------------------------------------------------------

struct Clinic {
    std::int64_t location = 0, service = 0, doctor = 0;
};

std::int64_t newLocation(const std::string& zone)
{
    return created(client().post("/api/v1/locations",
        R"({"name":"Clinica )" + zone
            + R"(","address":"Strada 1","city":"București","county":"București","timezone":")" + zone
            + R"(","opening_hours":[{"weekday":1,"start":"08:00","end":"20:00"}]})",
        as("admin")));
}

std::int64_t newService(int minutes)
{
    return created(client().post("/api/v1/services",
        R"({"name":"Consult","department":"cardiology","duration_min":)" + str(minutes)
            + R"(,"price_minor":35000,"currency":"RON"})",
        as("admin")));
}

std::int64_t newDoctor(std::int64_t location, const std::vector<std::int64_t>& services)
{
    std::string ids;
    for (auto s : services)
        ids += (ids.empty() ? "" : ",") + str(s);
    return created(client().post("/api/v1/doctors",
        R"({"name":"Dr. Booking","specialty":"cardiology","location_id":)" + str(location)
            + R"(,"service_ids":[)" + ids + "]}",
        as("admin")));
}

void putHours(std::int64_t doctor, std::int64_t location, const std::vector<int>& weekdays,
    const std::string& start, const std::string& end)
{
    std::string body;
    for (int d : weekdays)
        body += std::string(body.empty() ? "[" : ",") + R"({"weekday":)" + str(d) + R"(,"start":")" + start
            + R"(","end":")" + end + R"(","location_id":)" + str(location) + "}";
    auto r = client().request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours", body + "]", as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
}

/// A Bucharest location, a 30-minute service and a doctor working
/// Monday to Friday 09:00-17:00 (or the given days and hours).
Clinic newClinic(const std::string& zone = "Europe/Bucharest", int minutes = 30,
    const std::vector<int>& weekdays = {1, 2, 3, 4, 5}, const std::string& start = "09:00",
    const std::string& end = "17:00")
{
    Clinic k;
    k.location = newLocation(zone);
    k.service = newService(minutes);
    k.doctor = newDoctor(k.location, {k.service});
    putHours(k.doctor, k.location, weekdays, start, end);
    return k;
}

// ---- booking -------------------------------------------------------------------

std::string bookingBody(std::int64_t patient, std::int64_t doctor, std::int64_t service,
    const std::string& start, const std::string& extra = "")
{
    return R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
        + str(service) + R"(,"start":")" + start + "\"" + extra + "}";
}

HttpResult book(const std::string& role, const std::string& body)
{
    return client().post("/api/v1/appointments", body, as(role));
}

HttpResult book(
    const Clinic& k, std::int64_t patient, const std::string& start, const std::string& extra = "")
{
    return book("receptionist", bookingBody(patient, k.doctor, k.service, start, extra));
}

std::int64_t booked(const Clinic& k, std::int64_t patient, const std::string& start)
{
    return created(book(k, patient, start));
}

std::string appt(std::int64_t id, const std::string& action = "")
{
    return "/api/v1/appointments/" + str(id) + (action.empty() ? "" : "/" + action);
}

Poco::JSON::Object::Ptr fetch(std::int64_t id, const std::string& role = "receptionist")
{
    auto r = client().get(appt(id), as(role));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json();
}

std::string statusOf(std::int64_t id)
{
    return fetch(id)->getValue<std::string>("status");
}

Poco::Int64 sequenceOf(std::int64_t id)
{
    return fetch(id)->getValue<Poco::Int64>("sequence");
}

std::string startOf(std::int64_t id)
{
    return fetch(id)->getValue<std::string>("start");
}

HttpResult act(std::int64_t id, const std::string& action, const std::string& role = "receptionist",
    const std::string& body = "")
{
    return client().post(appt(id, action), body, as(role));
}

long occupancy(std::int64_t appointment)
{
    return count("scheduling_occupancy", "appointment_id = " + str(appointment));
}

// ---- availability ------------------------------------------------------------

std::vector<std::string> slots(const Clinic& k, const std::string& day)
{
    auto r = client().get("/api/v1/availability?doctor_id=" + str(k.doctor) + "&service_id=" + str(k.service)
            + "&from=" + day + "&to=" + day,
        as("patient"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto items = r.json()->getArray("items");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("start"));
    return out;
}

bool offered(const Clinic& k, const std::string& start)
{
    auto s = slots(k, start.substr(0, 10));
    return std::find(s.begin(), s.end(), start) != s.end();
}

std::vector<std::string> startsOf(const Poco::JSON::Array::Ptr& items)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("start"));
    return out;
}

std::string r2s(const Poco::JSON::Object::Ptr& o)
{
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

std::string joined(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : " ") + s;
    return out;
}

} // namespace

class BookingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BookingTest);
    CPPUNIT_TEST(bookingWritesTheAppointmentAuditAndJobs);
    CPPUNIT_TEST(aTakenOrOverlappingSlotIs409AndBackToBackIsFine);
    CPPUNIT_TEST(lifecycleMovesOnlyAlongLegalTransitions);
    CPPUNIT_TEST(noShowOnlyAfterTheStart);
    CPPUNIT_TEST(rescheduleMovesOrChangesNothing);
    CPPUNIT_TEST(recurrenceBooksReportsAndRefuses);
    CPPUNIT_TEST(cancelFollowingCancelsTheRestOfTheSeries);
    CPPUNIT_TEST(aFreedSlotIsOfferedToTheWaitlist);
    CPPUNIT_TEST(waitlistRefusesBadInputAndLetsAPatientLeave);
    CPPUNIT_TEST(patientsBookAndSeeOnlyTheirOwn);
    CPPUNIT_TEST(badInputIs4xxAndWritesNothing);
    CPPUNIT_TEST(notesAreStoredVerbatim);
    CPPUNIT_TEST(bucharestSpringForwardBookings);
    CPPUNIT_TEST(bucharestFallBackBooksBothThreeThirties);
    CPPUNIT_TEST(halfHourZoneStoresTheRightInstant);
    CPPUNIT_TEST_SUITE_END();

public:
    void bookingWritesTheAppointmentAuditAndJobs()
    {
        const auto k = newClinic();
        const auto patient = world().patient;
        const std::string start = "2027-01-11T10:00:00+02:00";
        const auto before = slots(k, "2027-01-11");
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), before.size());
        CPPUNIT_ASSERT(offered(k, start));

        auto r = book(k, patient, start, R"(,"notes":"first visit")");
        auto a = createdJson(r);
        const auto id = a->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(appt(id), r.header("Location"));
        CPPUNIT_ASSERT(a->isNull("series_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(patient), a->getValue<Poco::Int64>("patient_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(k.doctor), a->getValue<Poco::Int64>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(k.service), a->getValue<Poco::Int64>("service_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(k.location), a->getValue<Poco::Int64>("location_id"));
        CPPUNIT_ASSERT_EQUAL(start, a->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:30:00+02:00"), a->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), a->getValue<Poco::Int64>("duration_min"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), a->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("first visit"), a->getValue<std::string>("notes"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), a->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(35000), a->getValue<Poco::Int64>("price_minor"));
        CPPUNIT_ASSERT_EQUAL(std::string("RON"), a->getValue<std::string>("currency"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), a->getValue<Poco::Int64>("fee_minor"));
        CPPUNIT_ASSERT(a->isNull("cancel_reason"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-01"), a->getValue<std::string>("created_at").substr(0, 10));
        CPPUNIT_ASSERT(!a->getValue<std::string>("updated_at").empty());

        // The slot is gone from availability, its neighbours are not.
        const auto after = slots(k, "2027-01-11");
        CPPUNIT_ASSERT_EQUAL(before.size() - 1, after.size());
        CPPUNIT_ASSERT(std::find(after.begin(), after.end(), start) == after.end());
        CPPUNIT_ASSERT(offered(k, "2027-01-11T09:30:00+02:00"));
        CPPUNIT_ASSERT(offered(k, "2027-01-11T10:30:00+02:00"));

        // One row, its six 5-minute cells, one audit row, the notice and the
        // default reminder (24 h before, by email: 2027-01-10T08:00Z in ms).
        CPPUNIT_ASSERT_EQUAL(1L, count("scheduling_appointments", "doctor_id = " + str(k.doctor)));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(id));
        CPPUNIT_ASSERT_EQUAL(6L, count("scheduling_occupancy", "doctor_id = " + str(k.doctor)));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'appointment.create' AND object_type = 'appointment' AND object_id = '" + str(id)
                    + "' AND patient_id = " + str(patient) + " AND outcome = 'ok'"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs",
                "kind = 'appointment.notice' AND idempotency_key = 'notice:appointment:" + str(id)
                    + ":booked:0'"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs",
                "kind = 'appointment.reminder' AND idempotency_key LIKE 'reminder:appointment:" + str(id)
                    + ":%' AND run_at = 1799568000000"));

        // The patient reads it back as written.
        auto mine = fetch(id, "patient");
        CPPUNIT_ASSERT_EQUAL(start, mine->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("first visit"), mine->getValue<std::string>("notes"));
    }

    void aTakenOrOverlappingSlotIs409AndBackToBackIsFine()
    {
        auto k = newClinic();
        const auto s45 = newService(45);
        k.doctor = newDoctor(k.location, {k.service, s45});
        putHours(k.doctor, k.location, {1}, "09:00", "17:00");
        const std::string doctor = "doctor_id = " + str(k.doctor);
        const auto first = booked(k, world().patient, "2027-01-11T10:00:00+02:00");

        auto again = book(k, world().patient2, "2027-01-11T10:00:00+02:00");
        refused(again, 409, "SLOT_TAKEN", "the same slot");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(k.doctor),
            again.json()->getObject("error")->getObject("details")->getValue<Poco::Int64>("doctor_id"));
        refused(book(k, world().patient2, "2027-01-11T10:15:00+02:00"), 409, "SLOT_TAKEN", "half over it");
        CPPUNIT_ASSERT_EQUAL(1L, count("scheduling_appointments", doctor));
        CPPUNIT_ASSERT_EQUAL(6L, count("scheduling_occupancy", doctor));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(first));

        // 45 minutes from 09:30 runs into the 10:00 one.
        refused(
            book("receptionist", bookingBody(world().patient2, k.doctor, s45, "2027-01-11T09:30:00+02:00")),
            409, "SLOT_TAKEN", "45 minutes over 30");
        CPPUNIT_ASSERT_EQUAL(1L, count("scheduling_appointments", doctor));
        CPPUNIT_ASSERT_EQUAL(6L, count("scheduling_occupancy", doctor));

        // Back to back on both sides.
        auto early = createdJson(
            book("receptionist", bookingBody(world().patient2, k.doctor, s45, "2027-01-11T09:15:00+02:00")));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:00:00+02:00"), early->getValue<std::string>("end"));
        const auto late = booked(k, world().patient2, "2027-01-11T10:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(3L, count("scheduling_appointments", doctor));
        CPPUNIT_ASSERT_EQUAL(9L, occupancy(early->getValue<Poco::Int64>("id")));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(late));
        CPPUNIT_ASSERT_EQUAL(21L, count("scheduling_occupancy", doctor));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), statusOf(first));
    }

    void lifecycleMovesOnlyAlongLegalTransitions()
    {
        const auto k = newClinic();
        const auto id = booked(k, world().patient, "2027-01-11T10:00:00+02:00");

        // Not yet checked in: it cannot be completed; not started: no no-show.
        refused(act(id, "complete", "nurse"), 409, "CONFLICT", "complete a pending one");
        refused(act(id, "no-show"), 409, "CONFLICT", "no-show before the start");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), statusOf(id));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), sequenceOf(id));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(id));

        auto step = [&](const std::string& action, const std::string& role, const std::string& status,
                        Poco::Int64 sequence) {
            auto r = act(id, action, role);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(action + " -> " + r.body, 200, r.status);
            CPPUNIT_ASSERT_EQUAL(status, r.json()->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(sequence, r.json()->getValue<Poco::Int64>("sequence"));
            CPPUNIT_ASSERT_EQUAL(status, statusOf(id));
        };
        step("confirm", "receptionist", "confirmed", 1);
        refused(act(id, "confirm"), 409, "CONFLICT", "confirm twice");
        step("check-in", "receptionist", "checked_in", 2);
        step("complete", "nurse", "completed", 3);
        CPPUNIT_ASSERT_EQUAL(3L,
            count("audit_log",
                "action = 'appointment.update' AND object_id = '" + str(id) + "' AND outcome = 'ok'"));

        // A completed one stays completed.
        refused(act(id, "cancel", "receptionist", R"({"reason":"too late"})"), 409, "CONFLICT",
            "cancel a completed one");
        refused(act(id, "check-in"), 409, "CONFLICT", "check in a completed one");
        refused(act(id, "no-show"), 409, "CONFLICT", "no-show a completed one");
        auto done = fetch(id);
        CPPUNIT_ASSERT_EQUAL(std::string("completed"), done->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), done->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT(done->isNull("cancel_reason"));

        // Cancelling frees the slot at once.
        const std::string eleven = "2027-01-11T11:00:00+02:00";
        const auto other = booked(k, world().patient, eleven);
        CPPUNIT_ASSERT(!offered(k, eleven));
        auto cancelled = act(other, "cancel", "receptionist", R"({"reason":"patient called"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), cancelled.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("patient called"), cancelled.json()->getValue<std::string>("cancel_reason"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), cancelled.json()->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(0L, occupancy(other));
        CPPUNIT_ASSERT(offered(k, eleven));
        CPPUNIT_ASSERT_EQUAL(
            1L, count("audit_log", "action = 'appointment.cancel' AND object_id = '" + str(other) + "'"));

        // A cancelled one is not confirmed, checked in or cancelled again.
        refused(act(other, "confirm"), 409, "CONFLICT", "confirm a cancelled one");
        refused(act(other, "check-in"), 409, "CONFLICT", "check in a cancelled one");
        refused(act(other, "cancel", "receptionist", "{}"), 409, "CONFLICT", "cancel twice");
        auto still = fetch(other);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), still->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), still->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("patient called"), still->getValue<std::string>("cancel_reason"));

        // The freed slot books again.
        const auto rebooked = booked(k, world().patient2, eleven);
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(rebooked));
        CPPUNIT_ASSERT(!offered(k, eleven));
    }

    // A no-show needs the start to have passed: a daemon of its own whose
    // clock starts a few seconds before a booking's start.
    void noShowOnlyAfterTheStart()
    {
        TempDir rules;
        Daemon::Options o;
        o.config["plugins.load"] = "records,scheduling";
        o.config["auth.rate_limit_per_minute"] = "0";
        o.config["clock.start"] = "2027-01-01T00:04:50Z";
        o.config["rules.dir"] = rules.path();
        Daemon d(o);
        HttpClient c("127.0.0.1", d.port());
        const auto admin = firstAdmin(d, c);
        const auto h = bearer(admin.accessToken);
        const auto patient = newPatient(c, admin, "Ana");
        auto id = [](const HttpResult& r) { return created(r); };
        const auto location = id(c.post("/api/v1/locations",
            R"({"name":"Clinica UTC","address":"Strada 1","city":"București","county":"București",)"
            R"("timezone":"UTC"})",
            h));
        const auto service = id(c.post("/api/v1/services",
            R"({"name":"Quick","department":"gp","duration_min":5,"price_minor":1000,"currency":"RON"})", h));
        const auto doctor = id(c.post("/api/v1/doctors",
            R"({"name":"Dr. Now","specialty":"gp","location_id":)" + str(location) + R"(,"service_ids":[)"
                + str(service) + "]}",
            h));
        auto hours = c.request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours",
            R"([{"weekday":5,"start":"00:00","end":"06:00","location_id":)" + str(location) + "}]", h);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);

        auto now = [&] {
            auto r = c.get("/api/v1/time");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            return r.json()->getValue<std::string>("now").substr(0, 19);
        };
        // The next 5-minute boundary a few seconds ahead (00:05 unless the
        // set-up was slow).
        const std::string at = now();
        const int minute = std::stoi(at.substr(14, 2)), second = std::stoi(at.substr(17, 2));
        int startMinute = (minute / 5 + 1) * 5;
        if ((startMinute - minute) * 60 - second < 3)
            startMinute += 5;
        char start[32];
        std::snprintf(start, sizeof start, "2027-01-01T00:%02d:00Z", startMinute);
        std::printf("\n[no-show] clock at %s, booking %s\n", at.c_str(), start);
        auto b = c.post("/api/v1/appointments", bookingBody(patient, doctor, service, start), h);
        const auto appointment = created(b);
        const std::string path = "/api/v1/appointments/" + str(appointment);

        auto early = c.post(path + "/no-show", "", h);
        refused(early, 409, "CONFLICT", "no-show before the start");
        auto pending = c.get(path, h);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), pending.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
            sql(d,
                "SELECT COUNT(*) FROM scheduling_occupancy WHERE appointment_id = " + str(appointment)
                    + ";"));

        const std::string startText = std::string(start).substr(0, 19);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(6);
        while (now() < startText && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        CPPUNIT_ASSERT(now() >= startText);

        auto late = c.post(path + "/no-show", "", h);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(late.body, 200, late.status);
        CPPUNIT_ASSERT_EQUAL(std::string("no_show"), late.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), late.json()->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
            sql(d,
                "SELECT COUNT(*) FROM scheduling_occupancy WHERE appointment_id = " + str(appointment)
                    + ";"));
        // And it does not come back.
        refused(c.post(path + "/confirm", "", h), 409, "CONFLICT", "confirm a no-show");
        refused(c.post(path + "/no-show", "", h), 409, "CONFLICT", "no-show twice");
        CPPUNIT_ASSERT_EQUAL(std::string("no_show"), c.get(path, h).json()->getValue<std::string>("status"));
    }

    void rescheduleMovesOrChangesNothing()
    {
        const auto k = newClinic();
        const std::string ten = "2027-01-11T10:00:00+02:00", eleven = "2027-01-11T11:00:00+02:00",
                          two = "2027-01-11T14:00:00+02:00";
        const auto id = booked(k, world().patient, ten);
        auto confirmed = act(id, "confirm");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(confirmed.body, 200, confirmed.status);

        auto moved = act(id, "reschedule", "receptionist", R"({"start":")" + eleven + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(moved.body, 200, moved.status);
        CPPUNIT_ASSERT_EQUAL(eleven, moved.json()->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T11:30:00+02:00"), moved.json()->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), moved.json()->getValue<Poco::Int64>("sequence"));
        // A moved appointment waits to be confirmed again.
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), moved.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(eleven, startOf(id));
        CPPUNIT_ASSERT(offered(k, ten));
        CPPUNIT_ASSERT(!offered(k, eleven));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(id));
        // 2027-01-11T09:00Z is cell 5998860 (5-minute cells since the epoch).
        CPPUNIT_ASSERT_EQUAL(
            1L, count("scheduling_occupancy", "appointment_id = " + str(id) + " AND cell = 5998860"));
        CPPUNIT_ASSERT_EQUAL(
            1L, count("audit_log", "action = 'appointment.reschedule' AND object_id = '" + str(id) + "'"));

        // Onto someone else's time: refused, nothing moves.
        const auto other = booked(k, world().patient2, two);
        auto clash = act(id, "reschedule", "receptionist", R"({"start":")" + two + "\"}");
        refused(clash, 409, "SLOT_TAKEN", "reschedule onto a taken slot");
        auto same = fetch(id);
        CPPUNIT_ASSERT_EQUAL(eleven, same->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), same->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(id));
        CPPUNIT_ASSERT_EQUAL(
            1L, count("scheduling_occupancy", "appointment_id = " + str(id) + " AND cell = 5998860"));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(other));
        CPPUNIT_ASSERT(!offered(k, eleven));
        CPPUNIT_ASSERT_EQUAL(two, startOf(other));

        // Onto a time the doctor does not work: 422, nothing moves.
        invalidFields(act(id, "reschedule", "receptionist", R"({"start":"2027-01-11T19:00:00+02:00"})"),
            "reschedule out of hours");
        CPPUNIT_ASSERT_EQUAL(eleven, startOf(id));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(id));
    }

    void recurrenceBooksReportsAndRefuses()
    {
        const auto patient = world().patient;
        auto series = [&](const Clinic& k, const std::string& start, const std::string& recurrence) {
            return book(k, patient, start, R"(,"recurrence":)" + recurrence);
        };

        // Weekly, four times: one series.
        const auto weekly = newClinic();
        auto w = createdJson(series(weekly, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","count":4})"));
        const auto seriesId = w->getValue<Poco::Int64>("series_id");
        auto items = w->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:00:00+02:00 2027-01-18T10:00:00+02:00 "
                                         "2027-01-25T10:00:00+02:00 2027-02-01T10:00:00+02:00"),
            joined(startsOf(items)));
        for (std::size_t i = 0; i < items->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(
                seriesId, items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("series_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), w->getArray("skipped")->size());
        CPPUNIT_ASSERT_EQUAL(4L, count("scheduling_appointments", "series_id = " + str(seriesId)));
        CPPUNIT_ASSERT_EQUAL(24L, count("scheduling_occupancy", "doctor_id = " + str(weekly.doctor)));
        for (std::size_t i = 0; i < items->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(1L,
                count("audit_log",
                    "action = 'appointment.create' AND object_id = '"
                        + str(items->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id"))
                        + "'"));
        // Until a date, inclusive.
        auto u = createdJson(
            series(weekly, "2027-01-11T14:00:00+02:00", R"({"freq":"weekly","until":"2027-02-01"})"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), u->getArray("items")->size());

        // Monthly on the 31st: February and April have none, and say so.
        const auto monthly = newClinic("Europe/Bucharest", 30, {1, 2, 3, 4, 5, 6, 7});
        auto m = createdJson(series(monthly, "2027-01-31T10:00:00+02:00", R"({"freq":"monthly","count":4})"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-31T10:00:00+02:00 2027-03-31T10:00:00+03:00"),
            joined(startsOf(m->getArray("items"))));
        auto skipped = m->getArray("skipped");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r2s(m), std::size_t(2), skipped->size());
        CPPUNIT_ASSERT_EQUAL(std::string("2027-02-31"),
            skipped->getObject(0)->getValue<std::string>("start_local").substr(0, 10));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-04-31"),
            skipped->getObject(1)->getValue<std::string>("start_local").substr(0, 10));
        for (unsigned i = 0; i < 2; ++i)
            CPPUNIT_ASSERT(!skipped->getObject(i)->getValue<std::string>("reason").empty());
        CPPUNIT_ASSERT_EQUAL(2L, count("scheduling_appointments", "doctor_id = " + str(monthly.doctor)));

        // One occurrence on a taken slot: skipped and reported, the rest booked.
        const auto taken = newClinic();
        const auto theirs = booked(taken, world().patient2, "2027-01-25T10:00:00+02:00");
        auto t = createdJson(series(taken, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","count":4})"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:00:00+02:00 2027-01-18T10:00:00+02:00 "
                                         "2027-02-01T10:00:00+02:00"),
            joined(startsOf(t->getArray("items"))));
        auto report = t->getArray("skipped");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), report->size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-25T10:00:00"), report->getObject(0)->getValue<std::string>("start_local"));
        CPPUNIT_ASSERT(
            report->getObject(0)->getValue<std::string>("reason").find("booked") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(3L,
            count("scheduling_appointments", "series_id = " + str(t->getValue<Poco::Int64>("series_id"))));
        CPPUNIT_ASSERT_EQUAL(4L, count("scheduling_appointments", "doctor_id = " + str(taken.doctor)));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(theirs));
        CPPUNIT_ASSERT_EQUAL(world().patient2, fetch(theirs)->getValue<Poco::Int64>("patient_id"));

        // Too many: refused whole, nothing written.
        const auto refusedClinic = newClinic();
        const long appointments = count("scheduling_appointments"), seriesRows = count("scheduling_series");
        auto many = invalidFields(
            series(refusedClinic, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","count":53})"),
            "count 53");
        CPPUNIT_ASSERT_MESSAGE("count 53", many->has("recurrence.count"));
        auto far = invalidFields(
            series(refusedClinic, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","until":"2028-02-01"})"),
            "until 2028-02-01");
        CPPUNIT_ASSERT_MESSAGE("until", far->has("recurrence.until"));
        auto daily = invalidFields(
            series(refusedClinic, "2027-01-11T10:00:00+02:00", R"({"freq":"daily","until":"2027-03-31"})"),
            "daily until 2027-03-31");
        CPPUNIT_ASSERT_MESSAGE("daily until", daily->has("recurrence.until"));
        for (const std::string bad : {R"({"freq":"yearly","count":2})", R"({"freq":"weekly","count":0})",
                 R"({"freq":"weekly"})", R"({"freq":"weekly","count":2,"until":"2027-02-01"})",
                 R"({"freq":"weekly","until":"2027-02-30"})", R"("weekly")"})
            invalidFields(series(refusedClinic, "2027-01-11T10:00:00+02:00", bad), bad);
        // An end before the start is named, not an empty series.
        auto backwards = invalidFields(
            series(refusedClinic, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","until":"2020-01-01"})"),
            "until before the start");
        CPPUNIT_ASSERT_MESSAGE("until before the start", backwards->has("recurrence.until"));
        CPPUNIT_ASSERT_EQUAL(appointments, count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(seriesRows, count("scheduling_series"));

        // Every occurrence taken (by a series of another patient): 409, and
        // neither appointments nor a series row are left behind.
        const auto full = newClinic();
        createdJson(book(full, world().patient2, "2027-01-11T10:00:00+02:00", R"(,"recurrence":{"freq":"weekly","count":3})"));
        const long fullAppointments = count("scheduling_appointments"), fullSeries = count("scheduling_series");
        auto clash = series(full, "2027-01-11T10:00:00+02:00", R"({"freq":"weekly","count":3})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(clash.body, 409, clash.status);
        CPPUNIT_ASSERT(clash.body.find("SLOT_TAKEN") != std::string::npos);
        CPPUNIT_ASSERT(clash.body.find("skipped") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(fullAppointments, count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(fullSeries, count("scheduling_series"));
    }

    void cancelFollowingCancelsTheRestOfTheSeries()
    {
        const auto k = newClinic();
        auto w = createdJson(book(
            k, world().patient, "2027-01-12T09:00:00+02:00", R"(,"recurrence":{"freq":"weekly","count":4})"));
        auto items = w->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(4), items->size());
        std::vector<std::int64_t> ids;
        for (unsigned i = 0; i < 4; ++i)
            ids.push_back(items->getObject(i)->getValue<Poco::Int64>("id"));

        auto r = act(ids[1], "cancel", "receptionist", R"({"reason":"moving away","scope":"following"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto done = r.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), done->size());
        for (unsigned i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(ids[i + 1]), done->getObject(i)->getValue<Poco::Int64>("id"));
            CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), statusOf(ids[i + 1]));
            CPPUNIT_ASSERT_EQUAL(
                std::string("moving away"), fetch(ids[i + 1])->getValue<std::string>("cancel_reason"));
            CPPUNIT_ASSERT_EQUAL(0L, occupancy(ids[i + 1]));
        }
        auto first = fetch(ids[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), first->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), first->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(6L, occupancy(ids[0]));
        CPPUNIT_ASSERT(offered(k, "2027-01-19T09:00:00+02:00"));
        CPPUNIT_ASSERT(!offered(k, "2027-01-12T09:00:00+02:00"));

        // scope is one or following, and following needs a series.
        const auto single = booked(k, world().patient, "2027-01-12T11:00:00+02:00");
        invalidFields(
            act(single, "cancel", "receptionist", R"({"scope":"following"})"), "following without a series");
        invalidFields(act(ids[0], "cancel", "receptionist", R"({"scope":"all"})"), "scope all");
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), statusOf(single));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), statusOf(ids[0]));
    }

    void aFreedSlotIsOfferedToTheWaitlist()
    {
        const auto k = newClinic();
        const auto taken = booked(k, world().patient2, "2027-01-12T10:00:00+02:00");
        auto join = [&](const std::string& earliest, const std::string& latest) {
            auto r = client().post("/api/v1/waitlist",
                R"({"doctor_id":)" + str(k.doctor) + R"(,"service_id":)" + str(k.service) + R"(,"earliest":")"
                    + earliest + R"(","latest":")" + latest + "\"}",
                as("patient"));
            auto o = createdJson(r);
            CPPUNIT_ASSERT_EQUAL(std::string("waiting"), o->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(world().patient, o->getValue<Poco::Int64>("patient_id"));
            CPPUNIT_ASSERT(o->isNull("offer"));
            return o->getValue<Poco::Int64>("id");
        };
        const auto sameDay = join("2027-01-12T00:00:00+02:00", "2027-01-13T00:00:00+02:00");
        const auto nextWeek = join("2027-01-19T00:00:00+02:00", "2027-01-20T00:00:00+02:00");

        auto r = act(taken, "cancel", "receptionist", R"({"reason":"cannot come"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);

        auto list = client().get("/api/v1/waitlist", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(list.body, 200, list.status);
        auto items = list.json()->getArray("items");
        Poco::JSON::Object::Ptr offeredEntry, waitingEntry;
        for (unsigned i = 0; i < items->size(); ++i) {
            auto e = items->getObject(i);
            CPPUNIT_ASSERT_EQUAL(world().patient, e->getValue<Poco::Int64>("patient_id"));
            if (e->getValue<Poco::Int64>("id") == sameDay)
                offeredEntry = e;
            if (e->getValue<Poco::Int64>("id") == nextWeek)
                waitingEntry = e;
        }
        CPPUNIT_ASSERT_MESSAGE(list.body, offeredEntry && waitingEntry);
        CPPUNIT_ASSERT_EQUAL(std::string("offered"), offeredEntry->getValue<std::string>("status"));
        auto offer = offeredEntry->getObject("offer");
        CPPUNIT_ASSERT_MESSAGE(list.body, offer);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(k.doctor), offer->getValue<Poco::Int64>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-12T08:00:00Z"), offer->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("waiting"), waitingEntry->getValue<std::string>("status"));
        CPPUNIT_ASSERT(waitingEntry->isNull("offer"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("jobs",
                "kind = 'waitlist.offer' AND idempotency_key = 'offer:waitlist:" + str(sameDay) + "'"));
        // The other patient does not see these entries.
        auto theirs = client().get("/api/v1/waitlist", as("patient2"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(theirs.body, 200, theirs.status);
        for (unsigned i = 0; i < theirs.json()->getArray("items")->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(world().patient2,
                theirs.json()->getArray("items")->getObject(i)->getValue<Poco::Int64>("patient_id"));
    }

    void waitlistRefusesBadInputAndLetsAPatientLeave()
    {
        const auto k = newClinic();
        const long before = count("scheduling_waitlist");
        auto entry = [&](const std::string& fields) {
            return client().post("/api/v1/waitlist", "{" + fields + "}", as("receptionist"));
        };
        const std::string who = R"("patient_id":)" + str(world().patient) + ",";
        const std::string window = R"("earliest":"2027-01-12T00:00:00+02:00","latest":"2027-01-13T00:00:00+02:00")";
        const std::string service = R"("service_id":)" + str(k.service) + ",";
        // Malformed, wrong types, missing doctor and specialty, a window the
        // wrong way round, unknown ids: 4xx naming the field, nothing stored.
        refused(client().post("/api/v1/waitlist", "{\"patient_id\":", as("receptionist")), 400, "MALFORMED_JSON",
            "malformed");
        refused(entry(who + R"("doctor_id":"one",)" + service + window), 422, "VALIDATION_FAILED", "doctor as text");
        refused(entry(who + service + window), 422, "VALIDATION_FAILED", "neither doctor nor specialty");
        refused(entry(who + R"("doctor_id":)" + str(k.doctor) + "," + service
                    + R"("earliest":"2027-01-13T00:00:00+02:00","latest":"2027-01-12T00:00:00+02:00")"),
            422, "VALIDATION_FAILED", "latest before earliest");
        refused(entry(who + R"("doctor_id":)" + str(k.doctor) + R"(,"service_id":987654,)" + window), 422,
            "VALIDATION_FAILED", "unknown service");
        refused(entry(R"("patient_id":987654,"doctor_id":)" + str(k.doctor) + "," + service + window), 422,
            "VALIDATION_FAILED", "unknown patient");
        // A patient joins only for themself: another's id is as if unknown.
        refused(client().post("/api/v1/waitlist",
                    R"({"patient_id":)" + str(world().patient2) + R"(,"doctor_id":)" + str(k.doctor) + ","
                        + service + window + "}",
                    as("patient")),
            404, "NOT_FOUND", "a patient for another");
        CPPUNIT_ASSERT_EQUAL(before, count("scheduling_waitlist"));

        // Joining by specialty, then leaving: gone from the list; leaving
        // again, or leaving someone else's entry, is 404.
        auto joined = createdJson(client().post("/api/v1/waitlist",
            R"({"specialty":"cardiology",)" + service + window + "}", as("patient")));
        const auto id = joined->getValue<Poco::Int64>("id");
        refused(client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient2")), 404, "NOT_FOUND",
            "another patient's entry");
        auto gone = client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(gone.body, 204, gone.status);
        CPPUNIT_ASSERT(client().get("/api/v1/waitlist", as("patient")).body.find("\"id\":" + str(id) + ",")
            == std::string::npos);
        refused(client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient")), 404, "NOT_FOUND",
            "leaving twice");
        refused(client().request("DELETE", "/api/v1/waitlist/987654", "", as("receptionist")), 404, "NOT_FOUND",
            "unknown entry");
        CPPUNIT_ASSERT_EQUAL(1L, count("audit_log", "action = 'waitlist.delete' AND object_id = '" + str(id) + "'"));
    }

    void patientsBookAndSeeOnlyTheirOwn()
    {
        const auto k = newClinic();
        const auto me = world().patient, other = world().patient2;
        const std::string doctor = "doctor_id = " + str(k.doctor);

        auto own
            = createdJson(book("patient", bookingBody(me, k.doctor, k.service, "2027-01-11T09:00:00+02:00")));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(me), own->getValue<Poco::Int64>("patient_id"));
        auto implicit = createdJson(book("patient",
            R"({"doctor_id":)" + str(k.doctor) + R"(,"service_id":)" + str(k.service)
                + R"(,"start":"2027-01-11T09:30:00+02:00"})"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(me), implicit->getValue<Poco::Int64>("patient_id"));

        // For someone else: as if that patient did not exist, nothing written.
        const long audits = count("audit_log", "action = 'appointment.create' AND outcome = 'ok'");
        const long denials = count("audit_log",
            "action = 'appointment.create' AND outcome = 'denied' AND patient_id = " + str(other));
        refused(book("patient", bookingBody(other, k.doctor, k.service, "2027-01-11T10:00:00+02:00")), 404,
            "NOT_FOUND", "a patient booking for another");
        CPPUNIT_ASSERT_EQUAL(2L, count("scheduling_appointments", doctor));
        CPPUNIT_ASSERT_EQUAL(12L, count("scheduling_occupancy", doctor));
        CPPUNIT_ASSERT_EQUAL(audits, count("audit_log", "action = 'appointment.create' AND outcome = 'ok'"));
        // The attempt itself is on record, against the patient it aimed at.
        CPPUNIT_ASSERT_EQUAL(denials + 1,
            count("audit_log", "action = 'appointment.create' AND outcome = 'denied' AND patient_id = " + str(other)));
        CPPUNIT_ASSERT(offered(k, "2027-01-11T10:00:00+02:00"));

        // Staff book for anyone.
        const auto theirs = booked(k, other, "2027-01-11T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(other), fetch(theirs)->getValue<Poco::Int64>("patient_id"));

        // Another patient's appointment does not exist for a patient.
        refused(client().get(appt(theirs), as("patient")), 404, "NOT_FOUND", "read another's");
        refused(act(theirs, "cancel", "patient", R"({"reason":"x"})"), 404, "NOT_FOUND", "cancel another's");
        refused(act(theirs, "confirm", "patient"), 404, "NOT_FOUND", "confirm another's");
        refused(act(theirs, "reschedule", "patient", R"({"start":"2027-01-11T15:00:00+02:00"})"), 404,
            "NOT_FOUND", "move another's");
        auto untouched = fetch(theirs);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), untouched->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), untouched->getValue<Poco::Int64>("sequence"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T10:00:00+02:00"), untouched->getValue<std::string>("start"));
        // ...while its own patient reads it.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(theirs), fetch(theirs, "patient2")->getValue<Poco::Int64>("id"));

        // A patient's list holds only their own; asking for another's is 404.
        auto mine = client().get("/api/v1/appointments?doctor_id=" + str(k.doctor), as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(mine.body, 200, mine.status);
        auto items = mine.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), items->size());
        for (unsigned i = 0; i < items->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(me), items->getObject(i)->getValue<Poco::Int64>("patient_id"));
        auto all = client().get("/api/v1/appointments?limit=500", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(all.body, 200, all.status);
        for (unsigned i = 0; i < all.json()->getArray("items")->size(); ++i)
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(me),
                all.json()->getArray("items")->getObject(i)->getValue<Poco::Int64>("patient_id"));
        refused(client().get("/api/v1/appointments?patient_id=" + str(other), as("patient")), 404,
            "NOT_FOUND", "list another's");
        auto staff = client().get("/api/v1/appointments?doctor_id=" + str(k.doctor), as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(staff.body, 200, staff.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), staff.json()->getArray("items")->size());

        // The patient cancels their own (no rule forbids it here).
        auto cancelled
            = act(own->getValue<Poco::Int64>("id"), "cancel", "patient", R"({"reason":"better now"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancelled.body, 200, cancelled.status);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), cancelled.json()->getValue<std::string>("status"));
    }

    void badInputIs4xxAndWritesNothing()
    {
        auto k = newClinic();
        const auto stranger = newService(30); // the doctor does not offer it
        const auto patient = world().patient;
        const std::string ok = "2027-01-11T10:00:00+02:00";
        const long before = count("scheduling_appointments"), cells = count("scheduling_occupancy"),
                   jobs = count("jobs"), audits = count("audit_log", "action = 'appointment.create'");

        auto field = [&](const std::string& body, const std::string& name) {
            auto fields = invalidFields(book("receptionist", body), body);
            CPPUNIT_ASSERT_MESSAGE(body + " should name " + name, fields->has(name));
        };
        // Not JSON, or not an object.
        for (const std::string body : {"{not json", "", "[1,2]", "\"text\""}) {
            auto r = book("receptionist", body);
            CPPUNIT_ASSERT_MESSAGE(body + " -> " + r.body, r.status == 400 || r.status == 422);
            CPPUNIT_ASSERT_MESSAGE(body + " -> " + r.body, !r.errorCode().empty());
        }
        CPPUNIT_ASSERT_EQUAL(400, book("receptionist", "{not json").status);
        // Wrong types and missing fields.
        field(R"({"patient_id":")" + str(patient) + R"(","doctor_id":)" + str(k.doctor) + R"(,"service_id":)"
                + str(k.service) + R"(,"start":")" + ok + "\"}",
            "patient_id");
        field(R"({"patient_id":)" + str(patient) + R"(,"doctor_id":1.5,"service_id":)" + str(k.service)
                + R"(,"start":")" + ok + "\"}",
            "doctor_id");
        field(R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(k.doctor)
                + R"(,"service_id":[1],"start":")" + ok + "\"}",
            "service_id");
        field(R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(k.doctor) + R"(,"service_id":)"
                + str(k.service) + R"(,"start":1799654400})",
            "start");
        field(bookingBody(patient, k.doctor, k.service, ok, R"(,"notes":5)"), "notes");
        field(bookingBody(patient, k.doctor, k.service, ok, R"(,"notes":")" + std::string(2001, 'x') + "\""),
            "notes");
        field(R"({"doctor_id":)" + str(k.doctor) + R"(,"service_id":)" + str(k.service) + R"(,"start":")" + ok
                + "\"}",
            "patient_id");
        field(bookingBody(patient, k.doctor, k.service, ""), "start");
        // Ids that name nothing, and a service this doctor does not offer.
        field(bookingBody(patient, 999999, k.service, ok), "doctor_id");
        field(bookingBody(patient, k.doctor, 999999, ok), "service_id");
        field(bookingBody(999999, k.doctor, k.service, ok), "patient_id");
        field(bookingBody(patient, k.doctor, stranger, ok), "service_id");
        // Starts that are not instants, or not bookable ones.
        for (const std::string start :
            {"2027-02-30T10:00:00+02:00", "next monday", "2027-01-11T10:00:00", "2027-01-11 10:00:00+02:00",
                "2027-01-11T10:02:00+02:00", "2027-01-11T10:00:30+02:00", "2027-01-11T25:00:00+02:00",
                "2026-12-28T10:00:00+02:00", "2030-01-14T10:00:00+02:00", "2027-01-11T07:00:00+02:00",
                "2027-01-11T17:00:00+02:00", "2027-01-11T16:45:00+02:00", "2027-01-16T10:00:00+02:00"})
            field(bookingBody(patient, k.doctor, k.service, start), "start");

        // A location holiday and the doctor's time off.
        auto holiday = client().request("PATCH", "/api/v1/locations/" + str(k.location),
            R"({"holidays":[{"date":"2027-01-13","name":"Inventory day"}]})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(holiday.body, 200, holiday.status);
        field(bookingBody(patient, k.doctor, k.service, "2027-01-13T10:00:00+02:00"), "start");
        created(client().post("/api/v1/doctors/" + str(k.doctor) + "/time-off",
            R"({"start":"2027-01-14T09:00:00+02:00","end":"2027-01-14T12:00:00+02:00","reason":"conference"})",
            as("receptionist")));
        field(bookingBody(patient, k.doctor, k.service, "2027-01-14T10:00:00+02:00"), "start");
        field(bookingBody(patient, k.doctor, k.service, "2027-01-14T11:45:00+02:00"), "start");

        // Appointments that do not exist.
        refused(client().get(appt(999999), as("receptionist")), 404, "NOT_FOUND", "GET unknown");
        for (const std::string action : {"confirm", "check-in", "complete", "no-show", "cancel"})
            refused(act(999999, action, "admin", "{}"), 404, "NOT_FOUND", action + " unknown");
        refused(act(999999, "reschedule", "receptionist", R"({"start":")" + ok + "\"}"), 404, "NOT_FOUND",
            "reschedule unknown");
        CPPUNIT_ASSERT_EQUAL(404, client().get("/api/v1/appointments/abc", as("receptionist")).status);

        // A body over http.max_body_bytes.
        auto huge = book("receptionist",
            bookingBody(patient, k.doctor, k.service, ok, R"(,"notes":")" + std::string(100000, 'x') + "\""));
        refused(huge, 413, "PAYLOAD_TOO_LARGE", "a huge body");

        CPPUNIT_ASSERT_EQUAL(before, count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(cells, count("scheduling_occupancy"));
        CPPUNIT_ASSERT_EQUAL(jobs, count("jobs"));
        CPPUNIT_ASSERT_EQUAL(audits, count("audit_log", "action = 'appointment.create'"));
        // And the slot asked for all along is still free and books, as does
        // the time right after the time off.
        CPPUNIT_ASSERT(offered(k, ok));
        booked(k, patient, ok);
        booked(k, patient, "2027-01-14T12:00:00+02:00");
    }

    void notesAreStoredVerbatim()
    {
        const auto k = newClinic();
        const std::string notes = "She said \"it's fine\" \\ '); DROP TABLE scheduling_appointments; -- "
                                  "\xc8\x99i \xe2\x80\x94 ok";
        auto a = createdJson(
            book(k, world().patient, "2027-01-11T10:00:00+02:00", ",\"notes\":" + quoted(notes)));
        CPPUNIT_ASSERT_EQUAL(notes, a->getValue<std::string>("notes"));
        const auto id = a->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(notes, fetch(id)->getValue<std::string>("notes"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("scheduling_appointments",
                "id = " + str(id) + " AND notes LIKE '%DROP TABLE scheduling_appointments; --%'"));
        // The table is still there and still takes bookings.
        CPPUNIT_ASSERT(count("scheduling_appointments") >= 1);
        booked(k, world().patient, "2027-01-11T11:00:00+02:00");
    }

    void bucharestSpringForwardBookings()
    {
        // 2027-03-28 is a Sunday: at 03:00 EET the clocks go to 04:00 EEST.
        const auto k = newClinic("Europe/Bucharest", 30, {7}, "02:00", "05:00");
        // 03:30+03:00 names a wall-clock time that does not exist there; the
        // instant is 00:30Z, which the clinic's clock shows as 02:30 EET.
        auto a = createdJson(book(k, world().patient, "2027-03-28T03:30:00+03:00"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T02:30:00+02:00"), a->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T04:00:00+03:00"), a->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), a->getValue<Poco::Int64>("duration_min"));
        // 03:30+02:00 is 01:30Z: 04:30 EEST, the last slot of the day.
        auto b = createdJson(book(k, world().patient, "2027-03-28T03:30:00+02:00"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T04:30:00+03:00"), b->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T05:00:00+03:00"), b->getValue<std::string>("end"));
        // Written in the offset of their day, they book and come back as sent.
        auto c = createdJson(book(k, world().patient, "2027-03-28T02:00:00+02:00"));
        auto d = createdJson(book(k, world().patient, "2027-03-28T04:00:00+03:00"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T02:00:00+02:00"), c->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T04:00:00+03:00"), d->getValue<std::string>("start"));
        // The hour after 05:00 EEST is not worked, whatever the offset says.
        invalidFields(book(k, world().patient, "2027-03-28T05:00:00+03:00"), "05:00 EEST");
        invalidFields(book(k, world().patient, "2027-03-28T01:30:00+02:00"), "01:30 EET");
        CPPUNIT_ASSERT(slots(k, "2027-03-28").empty());

        for (const auto& o : {a, b, c, d}) {
            const auto id = o->getValue<Poco::Int64>("id");
            CPPUNIT_ASSERT_EQUAL(o->getValue<std::string>("start"), startOf(id));
            CPPUNIT_ASSERT_EQUAL(o->getValue<std::string>("end"), fetch(id)->getValue<std::string>("end"));
        }
        CPPUNIT_ASSERT_EQUAL(std::string("1806193800"),
            sql("SELECT start_utc FROM scheduling_appointments WHERE id = "
                + str(a->getValue<Poco::Int64>("id")) + ";"));
        auto listed = client().get(
            "/api/v1/appointments?doctor_id=" + str(k.doctor) + "&from=2027-03-28&to=2027-03-28",
            as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-28T02:00:00+02:00 2027-03-28T02:30:00+02:00 "
                                         "2027-03-28T04:00:00+03:00 2027-03-28T04:30:00+03:00"),
            joined(startsOf(listed.json()->getArray("items"))));
    }

    void bucharestFallBackBooksBothThreeThirties()
    {
        // 2027-10-31 is a Sunday: at 04:00 EEST the clocks go back to 03:00 EET.
        const auto k = newClinic("Europe/Bucharest", 30, {7}, "02:00", "05:00");
        auto summer = createdJson(book(k, world().patient, "2027-10-31T03:30:00+03:00"));
        auto winter = createdJson(book(k, world().patient2, "2027-10-31T03:30:00+02:00"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-10-31T03:30:00+03:00"), summer->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T03:00:00+02:00"), summer->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-10-31T03:30:00+02:00"), winter->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T04:00:00+02:00"), winter->getValue<std::string>("end"));
        const auto s = summer->getValue<Poco::Int64>("id"), w = winter->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT(s != w);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T03:30:00+03:00"), startOf(s));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T03:30:00+02:00"), startOf(w));
        CPPUNIT_ASSERT_EQUAL(std::string("1824942600"),
            sql("SELECT start_utc FROM scheduling_appointments WHERE id = " + str(s) + ";"));
        CPPUNIT_ASSERT_EQUAL(std::string("1824946200"),
            sql("SELECT start_utc FROM scheduling_appointments WHERE id = " + str(w) + ";"));
        // The same instants again are taken, whichever way they are written.
        refused(book(k, world().patient, "2027-10-31T00:30:00Z"), 409, "SLOT_TAKEN", "00:30Z");
        refused(book(k, world().patient, "2027-10-31T01:30:00Z"), 409, "SLOT_TAKEN", "01:30Z");
        // Availability lists each wall-clock time once; the 03:30 EEST slot
        // is gone, the one after the change (04:00 EET, 02:00Z) is not.
        auto free = slots(k, "2027-10-31");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T02:00:00+03:00 2027-10-31T02:30:00+03:00 "
                                         "2027-10-31T03:00:00+03:00 2027-10-31T04:00:00+02:00 "
                                         "2027-10-31T04:30:00+02:00"),
            joined(free));
        CPPUNIT_ASSERT_EQUAL(2L, count("scheduling_appointments", "doctor_id = " + str(k.doctor)));
    }

    void halfHourZoneStoresTheRightInstant()
    {
        const auto k = newClinic("Asia/Kolkata", 30, {1}, "09:00", "11:00");
        auto a = createdJson(book(k, world().patient, "2027-01-11T10:00:00+05:30"));
        const auto id = a->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:00:00+05:30"), a->getValue<std::string>("start"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:30:00+05:30"), a->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T10:00:00+05:30"), startOf(id));
        // 2027-01-11T04:30:00Z.
        CPPUNIT_ASSERT_EQUAL(std::string("1799641800"),
            sql("SELECT start_utc FROM scheduling_appointments WHERE id = " + str(id) + ";"));
        // The same instant written in UTC is the same, taken, slot.
        refused(book(k, world().patient2, "2027-01-11T04:30:00Z"), 409, "SLOT_TAKEN", "04:30Z");
        // 09:15 local is on the 5-minute grid (03:45Z) and inside the hours.
        auto quarter = createdJson(book(k, world().patient2, "2027-01-11T03:45:00Z"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T09:15:00+05:30"), quarter->getValue<std::string>("start"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BookingTest);
