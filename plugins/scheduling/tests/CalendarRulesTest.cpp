// The default and example Lua rules through HTTP.

#include "CalendarRulesFixture.h"

class CalendarRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CalendarRulesTest);
    CPPUNIT_TEST(defaultRulesNeedNoticeAndKeepPatientsFromLateCancelling);
    CPPUNIT_TEST(dentalFirstVisitIs45MinutesAndNeverSameDay);
    CPPUNIT_TEST(pediatricPracticeSeesChildrenOnlyAndChildrenOnlyThere);
    CPPUNIT_TEST(cancellationFeeIsHalfThePriceWithinADayAndRemindersFollowTheScript);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaultRulesNeedNoticeAndKeepPatientsFromLateCancelling()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Default");
        const auto service = site.service("Consult", 30, 20000);
        const auto doctor = site.doctor("Dr. Default", "cardiology", location, service);
        const auto patient = site.patient("Default", "1980-01-01");
        const auto me = bearer(site.patientLogin(patient).accessToken);

        // 08:30 is half an hour away: inside the doctor's hours, short of the
        // 60 minutes' notice. Nothing is written.
        const long before = site.count("scheduling_appointments");
        for (const auto& as : {site.asDesk(), me}) {
            auto r = site.book(as, patient, doctor, service, "2027-03-01T08:30:00+02:00");
            CPPUNIT_ASSERT_EQUAL(
                std::string("bookings need at least 60 minutes' notice"), ruleRejected(r, "before_book"));
        }
        CPPUNIT_ASSERT_EQUAL(before, site.count("scheduling_appointments"));
        CPPUNIT_ASSERT_EQUAL(0L, site.count("scheduling_occupancy"));
        // Two hours is enough.
        auto soon = site.booked(me, patient, doctor, service, "2027-03-01T10:00:00+02:00");

        // A patient may not cancel within 24 hours; the desk may.
        auto late = site.act(me, idOf(soon), "cancel", R"({"reason":"cannot come"})");
        CPPUNIT_ASSERT_EQUAL(std::string("appointments can be cancelled up to 24 hours before the start"),
            ruleRejected(late, "cancel_policy"));
        auto still = site.client->get("/api/v1/appointments/" + std::to_string(idOf(soon)), me);
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), still.json()->getValue<std::string>("status"));
        auto byDesk = site.acted(site.asDesk(), idOf(soon), "cancel", R"({"reason":"the patient called"})");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), byDesk->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), byDesk->getValue<Poco::Int64>("fee_minor"));

        // Two days ahead the patient cancels themself; the default reminder
        // plan is one e-mail a day before.
        auto later = site.booked(me, patient, doctor, service, "2027-03-03T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL("1440:email@" + epoch(2, 8), site.reminders(idOf(later)));
        auto mine = site.acted(me, idOf(later), "cancel", "{}");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), mine->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), mine->getValue<Poco::Int64>("fee_minor"));
    }

    void dentalFirstVisitIs45MinutesAndNeverSameDay()
    {
        Site site("dental");
        site.signInStaff();
        auto& c = *site.client;
        const auto location = site.location("Clinica Dentară");
        const auto service = site.service("Control", 30, 15000);
        const auto doctor = site.doctor("Dr. Dinte", "dentistry", location, service);
        const auto fresh = site.patient("Nou", "1990-02-02");
        const auto regular = site.patient("Vechi", "1985-03-03");
        const auto me = bearer(site.patientLogin(fresh).accessToken);
        const std::string avail = "/api/v1/availability?doctor_id=" + std::to_string(doctor)
            + "&service_id=" + std::to_string(service) + "&from=2027-03-02&to=2027-03-02";

        // A new patient sees 45-minute slots, by patient_id or signed in;
        // without a patient the service's 30 minutes apply.
        auto forFresh = slotTimes(c.get(avail + "&patient_id=" + std::to_string(fresh), site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(16), forFresh.size()); // 12 hours / 45 minutes
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:45"), forFresh.at(0));
        CPPUNIT_ASSERT_EQUAL(std::string("08:45-09:30"), forFresh.at(1));
        CPPUNIT_ASSERT(forFresh == slotTimes(c.get(avail, me)));
        auto anyone = slotTimes(c.get(avail, site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::size_t(24), anyone.size());
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:30"), anyone.at(0));

        // Not the same day for a new patient, whoever books.
        for (const auto& as : {me, site.asDesk()}) {
            auto sameDay = site.book(as, fresh, doctor, service, "2027-03-01T14:00:00+02:00");
            CPPUNIT_ASSERT_EQUAL(std::string("new patients cannot be booked for the same day"),
                ruleRejected(sameDay, "before_book"));
        }
        // The next day it is booked, for 45 minutes, at a start of its own
        // grid (a patient books only the starts offered to them).
        auto first = site.booked(me, fresh, doctor, service, "2027-03-02T09:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(45), first->getValue<Poco::Int64>("duration_min"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-02T10:15:00+02:00"), first->getValue<std::string>("end"));
        CPPUNIT_ASSERT_EQUAL(
            9L, site.count("scheduling_occupancy", "appointment_id = " + std::to_string(idOf(first))));

        // A patient with a completed visit is not new: the service's 30
        // minutes, and the same day is fine.
        auto visit = site.booked(site.asDesk(), regular, doctor, service, "2027-03-02T15:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(45), visit->getValue<Poco::Int64>("duration_min"));
        site.acted(site.asDesk(), idOf(visit), "check-in");
        site.acted(site.asAdmin(), idOf(visit), "complete");
        auto forRegular = slotTimes(c.get(avail + "&patient_id=" + std::to_string(regular), site.asDesk()));
        CPPUNIT_ASSERT_EQUAL(std::string("08:00-08:30"), forRegular.at(0));
        auto today = site.booked(site.asDesk(), regular, doctor, service, "2027-03-01T14:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), today->getValue<Poco::Int64>("duration_min"));
        // The example wraps the default before_book: the notice rule still holds.
        auto tooSoon = site.book(site.asDesk(), regular, doctor, service, "2027-03-01T08:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("bookings need at least 60 minutes' notice"), ruleRejected(tooSoon, "before_book"));
    }

    void pediatricPracticeSeesChildrenOnlyAndChildrenOnlyThere()
    {
        Site site("pediatric");
        site.signInStaff();
        const auto location = site.location("Clinica Copiilor");
        const auto service = site.service("Consult", 30, 18000);
        // The script compares the specialty in lower case with "pediatrics".
        const auto pediatrician = site.doctor("Dr. Mic", "Pediatrics", location, service);
        const auto internist = site.doctor("Dr. Mare", "internal medicine", location, service);
        const auto adult = site.patient("Adult", "1980-01-01");
        const auto child = site.patient("Copil", "2020-05-05");
        // 17 on 2027-03-01, 18 from 2027-03-02.
        const auto teen = site.patient("Adolescent", "2009-03-02");

        auto refused = site.book(site.asDesk(), adult, pediatrician, service, "2027-03-02T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("pediatricians see patients under 18 only"), ruleRejected(refused, "before_book"));
        site.booked(site.asDesk(), child, pediatrician, service, "2027-03-02T10:00:00+02:00");
        auto childToInternist
            = site.book(site.asDesk(), child, internist, service, "2027-03-02T11:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(std::string("patients under 18 are seen by a pediatrician"),
            ruleRejected(childToInternist, "before_book"));
        site.booked(site.asDesk(), adult, internist, service, "2027-03-02T11:00:00+02:00");

        // The age is taken on the day of the appointment.
        site.booked(site.asDesk(), teen, pediatrician, service, "2027-03-01T12:00:00+02:00");
        auto teenLater = site.book(site.asDesk(), teen, pediatrician, service, "2027-03-02T12:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("pediatricians see patients under 18 only"), ruleRejected(teenLater, "before_book"));
        site.booked(site.asDesk(), teen, internist, service, "2027-03-02T12:00:00+02:00");
        // The default notice rule still applies under the example.
        auto tooSoon = site.book(site.asDesk(), child, pediatrician, service, "2027-03-01T08:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            std::string("bookings need at least 60 minutes' notice"), ruleRejected(tooSoon, "before_book"));
        CPPUNIT_ASSERT_EQUAL(4L, site.count("scheduling_appointments"));
    }

    void cancellationFeeIsHalfThePriceWithinADayAndRemindersFollowTheScript()
    {
        Site site("cancellation_fee");
        site.signInStaff();
        const auto location = site.location("Clinica Taxă");
        const auto service = site.service("Consult", 30, 35000);
        const auto doctor = site.doctor("Dr. Taxă", "cardiology", location, service);
        const auto patient = site.patient("Taxa", "1980-01-01");
        const auto me = bearer(site.patientLogin(patient).accessToken);

        // Six hours ahead: the e-mail reminder a day before is already past,
        // the SMS two hours before is not.
        auto soon = site.booked(me, patient, doctor, service, "2027-03-01T14:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL("120:sms@" + epoch(1, 10), site.reminders(idOf(soon)));
        // Four days ahead: both.
        auto far = site.booked(me, patient, doctor, service, "2027-03-05T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL(
            "120:sms@" + epoch(5, 6) + " 1440:email@" + epoch(4, 8), site.reminders(idOf(far)));

        // The example replaces the default cancel_policy: within 24 hours a
        // patient may cancel, for half the price.
        auto late = site.acted(me, idOf(soon), "cancel", R"({"reason":"cannot come"})");
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), late->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(17500), late->getValue<Poco::Int64>("fee_minor"));
        CPPUNIT_ASSERT_EQUAL(1L,
            site.count(
                "scheduling_appointments", "id = " + std::to_string(idOf(soon)) + " AND fee_minor = 17500"));
        // Earlier than that it is free.
        auto early = site.acted(me, idOf(far), "cancel", "{}");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), early->getValue<Poco::Int64>("fee_minor"));
        // The clinic cancelling within 24 hours costs the patient nothing.
        auto again = site.booked(me, patient, doctor, service, "2027-03-01T15:00:00+02:00");
        auto byClinic
            = site.acted(site.asAdmin(), idOf(again), "cancel", R"({"reason":"the doctor is ill"})");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), byClinic->getValue<Poco::Int64>("fee_minor"));

        // The fee is the month's revenue for that doctor.
        auto report = site.client->get("/api/v1/reports/monthly?month=2027-03", site.asAdmin());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(report.body, 200, report.status);
        auto line = report.json()->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), line->getValue<Poco::Int64>("cancelled"));
        auto revenue = line->getArray("revenue");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), revenue->size());
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(17500), revenue->getObject(0)->getValue<Poco::Int64>("amount_minor"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CalendarRulesTest);
