// access.doctors_own_patients_only on the live stream, through the real
// clinicd with the records plugin's StreamNarrowing: a restricted doctor's
// stream carries the clinical changes of their own patients only (a patient
// becomes theirs with a booking), while a nurse's carries every one and the
// schedule changes still reach the doctor. The clinical event comes from a
// test plugin (tests/stream/plugin), since no product plugin declares one.

#include <algorithm>

#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "StreamWorld.h"

using namespace clinic::test;

namespace {

StreamWorld& world()
{
    static StreamWorld w([] {
        ClinicFixture::Options o;
        o.daemon = streamDaemonOptions();
        o.daemon.config["plugins.load"] = "records,scheduling,streamtest";
        o.daemon.config["access.doctors_own_patients_only"] = "true";
        o.accountPrefix = "narrow";
        return o;
    }());
    return w;
}

int port()
{
    return world().clinic().daemon().port();
}

const std::string& token(const std::string& role)
{
    return world().clinic().account(role).accessToken;
}

/// Publishes chart.noted about patient; its note_id.
std::int64_t noteAbout(std::int64_t patient)
{
    auto r = world().clinic().client().post("/api/v1/streamtest/clinical",
        R"({"patient_id":)" + std::to_string(patient) + "}", world().clinic().as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>()->getValue<Poco::Int64>(
        "note_id");
}

bool hasNote(const std::vector<StreamEvent>& events, std::int64_t note)
{
    for (const auto& e : events)
        if (e.type == "chart.noted" && e.json()->getValue<Poco::Int64>("note_id") == note)
            return true;
    return false;
}

} // namespace

class EventStreamNarrowingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventStreamNarrowingTest);
    CPPUNIT_TEST(aRestrictedDoctorGetsTheClinicalChangesOfTheirOwnPatientsOnly);
    CPPUNIT_TEST(aBookingMakesThePatientTheirsFromThenOn);
    CPPUNIT_TEST(scheduleChangesStillReachTheRestrictedDoctor);
    CPPUNIT_TEST_SUITE_END();

public:
    void aRestrictedDoctorGetsTheClinicalChangesOfTheirOwnPatientsOnly()
    {
        const auto own = world().patientAccountRecord();
        const auto stranger = world().clinic().newPatient(
            R"({"first_name":"Elena","last_name":"Stranger","birth_date":"1990-02-02","sex":"female","phone":"+40 700 000 101","force":true})");
        world().book(own);
        StreamClient doctor(port(), token("doctor"));
        StreamClient nurse(port(), token("nurse"));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), doctor.waitOpened());
        CPPUNIT_ASSERT_MESSAGE(nurse.text(), nurse.waitOpened());
        const auto strangers = noteAbout(stranger);
        const auto owns = noteAbout(own);
        // The nurse is not restricted: both reach her, in order.
        CPPUNIT_ASSERT_MESSAGE(nurse.text(), nurse.waitFor([&](const auto& events) {
            return hasNote(events, strangers) && hasNote(events, owns);
        }));
        // The doctor's own patient's note came after the stranger's: once it
        // is here, the stranger's would have been too.
        CPPUNIT_ASSERT_MESSAGE(
            doctor.text(), doctor.waitFor([&](const auto& events) { return hasNote(events, owns); }));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), !hasNote(doctor.events(), strangers));
        // Only the declared keys: the note's text stays off every stream.
        CPPUNIT_ASSERT(nurse.text().find("clinical detail") == std::string::npos);
    }

    void aBookingMakesThePatientTheirsFromThenOn()
    {
        const auto patient = world().clinic().newPatient(
            R"({"first_name":"Radu","last_name":"Newcomer","birth_date":"1970-03-03","sex":"male","phone":"+40 700 000 102","force":true})");
        StreamClient doctor(port(), token("doctor"));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), doctor.waitOpened());
        const auto before = noteAbout(patient);
        const auto appointment = world().book(patient);
        const auto after = noteAbout(patient);
        CPPUNIT_ASSERT_MESSAGE(
            doctor.text(), doctor.waitFor([&](const auto& events) { return hasNote(events, after); }));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), !hasNote(doctor.events(), before));
        CPPUNIT_ASSERT(!bookedAppointments(doctor.events()).empty());
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(appointment), Poco::Int64(bookedAppointments(doctor.events()).back()));
    }

    void scheduleChangesStillReachTheRestrictedDoctor()
    {
        // Another doctor's patient, booked with another doctor: the schedule
        // row (ids and times) reaches every staff stream, the agenda of a
        // location being whole on every terminal.
        const auto patient = world().clinic().newPatient(
            R"({"first_name":"Ilie","last_name":"Elsewhere","birth_date":"1960-04-04","sex":"male","phone":"+40 700 000 103","force":true})");
        const auto location = world().clinic().newLocation("Europe/Bucharest");
        const auto service = world().clinic().newService(15, "Elsewhere consult");
        const auto other = world().clinic().newDoctor(location, {service}, "dermatology", "Dr. Elsewhere");
        std::string hours;
        for (int day = 1; day <= 7; ++day)
            hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
                + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
        auto r
            = world().clinic().client().request("PUT", "/api/v1/doctors/" + std::to_string(other) + "/hours",
                "[" + hours + "]", world().clinic().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        StreamClient doctor(port(), token("doctor"));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), doctor.waitOpened());
        const auto appointment = createdId(world().clinic().client().post("/api/v1/appointments",
            R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)" + std::to_string(other)
                + R"(,"service_id":)" + std::to_string(service) + R"(,"start":"2027-01-05T10:00:00+02:00"})",
            world().clinic().as("receptionist")));
        const auto note = noteAbout(patient);
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), doctor.waitFor([&](const auto& events) {
            const auto booked = bookedAppointments(events);
            return std::find(booked.begin(), booked.end(), appointment) != booked.end();
        }));
        // The other doctor's patient's clinical change does not follow it: a
        // later note about the doctor's own patient arrives, that one not.
        world().book(world().patientAccountRecord());
        const auto marker = noteAbout(world().patientAccountRecord());
        CPPUNIT_ASSERT_MESSAGE(
            doctor.text(), doctor.waitFor([&](const auto& events) { return hasNote(events, marker); }));
        CPPUNIT_ASSERT_MESSAGE(doctor.text(), !hasNote(doctor.events(), note));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventStreamNarrowingTest);
