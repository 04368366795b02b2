// Booking one appointment: what it writes, collisions, who may book for whom,
// bad input, and bookings across DST changes and in a half-hour zone.

#include "BookingFixture.h"

class BookingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BookingTest);
    CPPUNIT_TEST(bookingWritesTheAppointmentAuditAndJobs);
    CPPUNIT_TEST(aTakenOrOverlappingSlotIs409AndBackToBackIsFine);
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
            count("audit_log",
                "action = 'appointment.create' AND outcome = 'denied' AND patient_id = " + str(other)));
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
