// The appointment lifecycle: legal transitions, no-shows and rescheduling.

#include "BookingFixture.h"

class LifecycleTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LifecycleTest);
    CPPUNIT_TEST(lifecycleMovesOnlyAlongLegalTransitions);
    CPPUNIT_TEST(noShowOnlyAfterTheStart);
    CPPUNIT_TEST(rescheduleMovesOrChangesNothing);
    CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(LifecycleTest);
