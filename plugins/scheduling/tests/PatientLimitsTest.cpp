// What a patient may do to the calendar by themself, and what a refused
// reach into another patient's scheduling data leaves in the audit trail:
// only the starts availability offers, a cap on open bookings that the
// clinic's Lua sets (lua/rules/default.lua), whole-second starts, and a
// "denied" row for every cross-patient attempt, on an id that exists or not.

#include "CalendarRulesFixture.h"

namespace {

std::string day(int n)
{
    // 2027-03-01 is the Site clock's Monday; the month has 31 days.
    return "2027-03-" + std::string(n < 10 ? "0" : "") + std::to_string(n);
}

} // namespace

class PatientLimitsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PatientLimitsTest);
    CPPUNIT_TEST(aPatientBooksOnlyTheStartsAvailabilityOffers);
    CPPUNIT_TEST(aStartWithAFractionOfASecondIsRefused);
    CPPUNIT_TEST(aPatientHoldsAtMostTheDefaultRulesOpenBookings);
    CPPUNIT_TEST(crossPatientAttemptsLeaveADeniedRowWhetherTheIdExistsOrNot);
    CPPUNIT_TEST_SUITE_END();

public:
    void aPatientBooksOnlyTheStartsAvailabilityOffers()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Grila");
        const auto service = site.service("Consult", 30, 10000);
        const auto doctor = site.doctor("Dr. Grila", "cardiology", location, service);
        const auto patient = site.patient("Grila", "1980-01-01");
        const auto self = bearer(site.patientLogin(patient).accessToken);
        // The grid runs from 08:00 in 30-minute steps: 10:05 would break two slots.
        auto odd = site.book(self, patient, doctor, service, day(2) + "T10:05:00+02:00");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(odd.body, 422, odd.status);
        CPPUNIT_ASSERT(
            odd.json()->getObject("error")->getObject("details")->getObject("fields")->has("start"));
        site.booked(self, patient, doctor, service, day(2) + "T10:30:00+02:00");
        // The clinic's own staff may still place a visit off the grid.
        site.booked(site.asDesk(), patient, doctor, service, day(2) + "T11:05:00+02:00");
    }

    void aStartWithAFractionOfASecondIsRefused()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Fractii");
        const auto service = site.service("Consult", 30, 10000);
        const auto doctor = site.doctor("Dr. Fractii", "cardiology", location, service);
        const auto patient = site.patient("Fractii", "1980-01-01");
        auto r = site.book(site.asDesk(), patient, doctor, service, day(2) + "T10:00:00.500+02:00");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT(r.json()->getObject("error")->getObject("details")->getObject("fields")->has("start"));
        CPPUNIT_ASSERT_EQUAL(
            0L, site.count("scheduling_appointments", "patient_id = " + std::to_string(patient)));
    }

    void aPatientHoldsAtMostTheDefaultRulesOpenBookings()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Limita");
        const auto service = site.service("Consult", 30, 10000);
        const auto doctor = site.doctor("Dr. Limita", "cardiology", location, service);
        const auto patient = site.patient("Limita", "1980-01-01");
        const auto self = bearer(site.patientLogin(patient).accessToken);
        for (int d = 2; d < 10; ++d)
            site.booked(self, patient, doctor, service, day(d) + "T10:00:00+02:00");
        auto ninth = site.book(self, patient, doctor, service, day(10) + "T10:00:00+02:00");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ninth.body, 422, ninth.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), ninth.errorCode());
        // Reception books past the patient's own cap.
        site.booked(site.asDesk(), patient, doctor, service, day(10) + "T10:00:00+02:00");

        // A series counts its own occurrences: a fresh patient's daily
        // series of 20 gets the first 8.
        const auto other = site.patient("Serie", "1981-01-01");
        const auto otherSelf = bearer(site.patientLogin(other).accessToken);
        auto series = site.client->post("/api/v1/appointments",
            R"({"patient_id":)" + std::to_string(other) + R"(,"doctor_id":)" + std::to_string(doctor)
                + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + day(2)
                + R"(T12:00:00+02:00","recurrence":{"freq":"daily","count":20}})",
            otherSelf);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(series.body, 201, series.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(8), series.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(
            8L, site.count("scheduling_appointments", "patient_id = " + std::to_string(other)));
    }

    void crossPatientAttemptsLeaveADeniedRowWhetherTheIdExistsOrNot()
    {
        Site site("");
        site.signInStaff();
        const auto location = site.location("Clinica Audit");
        const auto service = site.service("Consult", 30, 10000);
        const auto doctor = site.doctor("Dr. Audit", "cardiology", location, service);
        const auto otherDoctor = site.doctor("Dr. Altul", "cardiology", location, service);
        const auto mine = site.patient("Audit", "1980-01-01");
        const auto theirs = site.patient("Strain", "1981-01-01");
        const auto self = bearer(site.patientLogin(mine).accessToken);
        const std::int64_t nobody = 987654;
        const std::string s = "&service_id=" + std::to_string(service)
            + "&doctor_id=" + std::to_string(doctor) + "&from=" + day(2) + "&to=" + day(2);
        struct Probe {
            std::string path;
            std::string action;
        };
        for (std::int64_t target : {theirs, nobody}) {
            const std::string id = std::to_string(target);
            for (const Probe& probe : {Probe {"/api/v1/appointments?patient_id=" + id, "appointment.list"},
                     Probe {"/api/v1/availability?patient_id=" + id + s, "availability.read"},
                     Probe {"/api/v1/waitlist?patient_id=" + id, "waitlist.list"}}) {
                const long before = site.count("audit_log",
                    "action = '" + probe.action + "' AND outcome = 'denied' AND patient_id = " + id);
                auto r = site.client->get(probe.path, self);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(probe.path + ": " + r.body, 404, r.status);
                CPPUNIT_ASSERT_EQUAL_MESSAGE(probe.path, before + 1,
                    site.count("audit_log",
                        "action = '" + probe.action + "' AND outcome = 'denied' AND patient_id = " + id));
            }
        }
        // Another doctor's feed: refused and recorded.
        auto doc = createAndSignIn(
            *site.client, site.admin, "dr.audit", "doctor", "\"doctor_id\":" + std::to_string(doctor));
        auto feed = site.client->get(
            "/api/v1/doctors/" + std::to_string(otherDoctor) + "/calendar.ics", bearer(doc.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(feed.body, 403, feed.status);
        CPPUNIT_ASSERT_EQUAL(1L,
            site.count("audit_log",
                "action = 'appointment.feed' AND outcome = 'denied' AND object_id = '"
                    + std::to_string(otherDoctor) + "'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PatientLimitsTest);
