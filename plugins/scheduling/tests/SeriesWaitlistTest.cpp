// Recurring series and the waitlist a freed slot is offered to.

#include "BookingFixture.h"

class SeriesWaitlistTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SeriesWaitlistTest);
    CPPUNIT_TEST(recurrenceBooksReportsAndRefuses);
    CPPUNIT_TEST(cancelFollowingCancelsTheRestOfTheSeries);
    CPPUNIT_TEST(aFreedSlotIsOfferedToTheWaitlist);
    CPPUNIT_TEST(waitlistRefusesBadInputAndLetsAPatientLeave);
    CPPUNIT_TEST_SUITE_END();

public:
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
        createdJson(book(full, world().patient2, "2027-01-11T10:00:00+02:00",
            R"(,"recurrence":{"freq":"weekly","count":3})"));
        const long fullAppointments = count("scheduling_appointments"),
                   fullSeries = count("scheduling_series");
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
        const std::string window
            = R"("earliest":"2027-01-12T00:00:00+02:00","latest":"2027-01-13T00:00:00+02:00")";
        const std::string service = R"("service_id":)" + str(k.service) + ",";
        // Malformed, wrong types, missing doctor and specialty, a window the
        // wrong way round, unknown ids: 4xx naming the field, nothing stored.
        refused(client().post("/api/v1/waitlist", "{\"patient_id\":", as("receptionist")), 400,
            "MALFORMED_JSON", "malformed");
        refused(entry(who + R"("doctor_id":"one",)" + service + window), 422, "VALIDATION_FAILED",
            "doctor as text");
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
        auto joined = createdJson(client().post(
            "/api/v1/waitlist", R"({"specialty":"cardiology",)" + service + window + "}", as("patient")));
        const auto id = joined->getValue<Poco::Int64>("id");
        refused(client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient2")), 404,
            "NOT_FOUND", "another patient's entry");
        auto gone = client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(gone.body, 204, gone.status);
        CPPUNIT_ASSERT(client().get("/api/v1/waitlist", as("patient")).body.find("\"id\":" + str(id) + ",")
            == std::string::npos);
        refused(client().request("DELETE", "/api/v1/waitlist/" + str(id), "", as("patient")), 404,
            "NOT_FOUND", "leaving twice");
        refused(client().request("DELETE", "/api/v1/waitlist/987654", "", as("receptionist")), 404,
            "NOT_FOUND", "unknown entry");
        CPPUNIT_ASSERT_EQUAL(
            1L, count("audit_log", "action = 'waitlist.delete' AND object_id = '" + str(id) + "'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SeriesWaitlistTest);
