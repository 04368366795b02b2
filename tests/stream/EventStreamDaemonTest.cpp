// GET /api/v1/events/stream through the real clinicd: a booking reaches an
// open stream within a second with its change id, type and ids; a resume
// with Last-Event-ID misses nothing and repeats nothing; a patient's stream
// carries only their own events and a receptionist's no clinical detail; a
// resume point the log no longer holds asks for a reload; the retention job
// prunes by age.

#include <algorithm>
#include <set>

#include <cppunit/extensions/HelperMacros.h>

#include "StreamWorld.h"

using namespace clinic::test;

namespace {

StreamWorld& world()
{
    static StreamWorld w([] {
        ClinicFixture::Options o;
        o.daemon = streamDaemonOptions();
        o.daemon.config["plugins.load"] = "records,scheduling,metrics";
        o.accountPrefix = "stream";
        return o;
    }());
    return w;
}

const std::string& token(const std::string& role)
{
    return world().clinic().account(role).accessToken;
}

int port()
{
    return world().clinic().daemon().port();
}

/// The value of an unlabelled sample in the /metrics text (-1 if absent).
double metric(const std::string& name)
{
    const std::string text = world().clinic().client().get("/metrics").body;
    const auto at = text.find("\n" + name + " ");
    if (at == std::string::npos)
        return -1;
    return std::stod(text.substr(at + name.size() + 2));
}

bool hasBooking(const std::vector<StreamEvent>& events, std::int64_t appointment)
{
    for (const auto& e : events)
        if (e.type == "appointment.booked"
            && e.json()->getValue<Poco::Int64>("appointment_id") == appointment)
            return true;
    return false;
}

} // namespace

class EventStreamDaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventStreamDaemonTest);
    CPPUNIT_TEST(aBookingReachesAnOpenStreamWithinASecond);
    CPPUNIT_TEST(aResumeWithLastEventIdMissesNothingAndRepeatsNothing);
    CPPUNIT_TEST(theQueryParameterResumesLikeTheHeader);
    CPPUNIT_TEST(aPatientStreamCarriesOnlyTheirOwnEvents);
    CPPUNIT_TEST(aReceptionistStreamCarriesNoClinicalDetail);
    CPPUNIT_TEST(aResumePointThePrunedLogNoLongerHoldsAsksForAReload);
    CPPUNIT_TEST(theRetentionJobPrunesRowsOlderThanTheConfiguredDays);
    CPPUNIT_TEST(theMetricsCountStreamsAndDeliveries);
    CPPUNIT_TEST(aStreamNeedsAToken);
    CPPUNIT_TEST(aMalformedLastEventIdIsRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void aBookingReachesAnOpenStreamWithinASecond()
    {
        StreamClient desk(port(), token("receptionist"));
        CPPUNIT_ASSERT_EQUAL(200, desk.status());
        CPPUNIT_ASSERT_MESSAGE(desk.text(), desk.waitOpened());
        const auto booked = std::chrono::steady_clock::now();
        const auto appointment = world().book(world().otherPatient());
        CPPUNIT_ASSERT_MESSAGE(desk.text(),
            desk.waitFor([&](const auto& events) { return hasBooking(events, appointment); },
                std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::seconds(1) - (std::chrono::steady_clock::now() - booked))));
        const auto events = desk.eventsOf("appointment.booked");
        const auto& e = events.back();
        CPPUNIT_ASSERT(e.id.has_value());
        CPPUNIT_ASSERT_EQUAL(world().changeIdOfBooking(appointment), *e.id);
        const auto data = e.json();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(appointment), data->getValue<Poco::Int64>("appointment_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(world().otherPatient()), data->getValue<Poco::Int64>("patient_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(world().doctor()), data->getValue<Poco::Int64>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), data->getValue<std::string>("status"));
    }

    void aResumeWithLastEventIdMissesNothingAndRepeatsNothing()
    {
        std::vector<std::int64_t> booked;
        std::int64_t resumeFrom = 0;
        {
            StreamClient first(port(), token("nurse"));
            CPPUNIT_ASSERT(first.waitOpened());
            for (int i = 0; i < 3; ++i)
                booked.push_back(world().book(world().otherPatient()));
            CPPUNIT_ASSERT_MESSAGE(first.text(),
                first.waitFor([&](const auto& events) { return bookedAppointments(events).size() == 3; }));
            // The client saw the first of the three only, then dropped.
            resumeFrom = *first.eventsOf("appointment.booked").front().id;
        }
        // Meanwhile, while nobody listens.
        for (int i = 0; i < 4; ++i)
            booked.push_back(world().book(world().patientAccountRecord()));
        StreamClient again(port(), token("nurse"), resumeFrom);
        CPPUNIT_ASSERT_EQUAL(200, again.status());
        CPPUNIT_ASSERT_MESSAGE(again.text(),
            again.waitFor([&](const auto& events) { return bookedAppointments(events).size() >= 6; }));
        const std::vector<std::int64_t> expected(booked.begin() + 1, booked.end());
        CPPUNIT_ASSERT(expected == bookedAppointments(again.events()));
        const auto ids = idsOf(again.events());
        CPPUNIT_ASSERT(std::is_sorted(ids.begin(), ids.end()));
        CPPUNIT_ASSERT(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
        CPPUNIT_ASSERT(ids.front() > resumeFrom);
        CPPUNIT_ASSERT_EQUAL(world().changeIdOfBooking(booked.back()), ids.back());
    }

    void theQueryParameterResumesLikeTheHeader()
    {
        const auto a = world().book(world().otherPatient());
        const auto b = world().book(world().otherPatient());
        const auto from = world().changeIdOfBooking(a);
        StreamClient s(port(), token("doctor"), std::nullopt, "?last_event_id=" + std::to_string(from));
        CPPUNIT_ASSERT_EQUAL(200, s.status());
        CPPUNIT_ASSERT_MESSAGE(
            s.text(), s.waitFor([&](const auto& events) { return hasBooking(events, b); }));
        CPPUNIT_ASSERT(!hasBooking(s.events(), a));
    }

    void aPatientStreamCarriesOnlyTheirOwnEvents()
    {
        StreamClient patient(port(), token("patient"));
        StreamClient desk(port(), token("receptionist"));
        CPPUNIT_ASSERT(patient.waitOpened() && desk.waitOpened());
        const auto theirs = world().book(world().otherPatient());
        const auto own = world().book(world().patientAccountRecord());
        const auto theirsAgain = world().book(world().otherPatient());
        // The desk sees all three; by then the patient's stream has been
        // offered all three too (one feed, in id order).
        CPPUNIT_ASSERT(desk.waitFor([&](const auto& events) { return hasBooking(events, theirsAgain); }));
        CPPUNIT_ASSERT(patient.waitFor([&](const auto& events) { return hasBooking(events, own); }));
        CPPUNIT_ASSERT(hasBooking(desk.events(), theirs) && hasBooking(desk.events(), own));
        const auto mine = std::to_string(world().patientAccountRecord());
        for (const auto& e : patient.events()) {
            if (!e.id)
                continue;
            CPPUNIT_ASSERT_EQUAL_MESSAGE(e.data, Poco::Int64(world().patientAccountRecord()),
                e.json()->getValue<Poco::Int64>("patient_id"));
        }
        CPPUNIT_ASSERT(!hasBooking(patient.events(), theirs));
        CPPUNIT_ASSERT(!hasBooking(patient.events(), theirsAgain));
    }

    void aReceptionistStreamCarriesNoClinicalDetail()
    {
        StreamClient desk(port(), token("receptionist"));
        CPPUNIT_ASSERT(desk.waitOpened());
        const auto appointment = world().book(world().otherPatient(), "suspected angina, ECG abnormal");
        auto cancel = world().clinic().client().post(
            "/api/v1/appointments/" + std::to_string(appointment) + "/cancel",
            R"({"reason":"patient in hospital with pneumonia"})", world().clinic().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);
        CPPUNIT_ASSERT(desk.waitFor([&](const auto& events) {
            for (const auto& e : events)
                if (e.type == "appointment.cancelled")
                    return true;
            return false;
        }));
        const std::set<std::string> shown = {"appointment_id", "patient_id", "doctor_id", "service_id",
            "location_id", "start_utc", "end_utc", "status", "sequence", "series_id", "from", "old_start_utc",
            "old_end_utc", "waitlist_id", "last_event_id"};
        for (const auto& e : desk.events())
            for (const auto& key : e.json()->getNames())
                CPPUNIT_ASSERT_MESSAGE(e.type + " carries " + key, shown.count(key) == 1);
        const std::string text = desk.text();
        CPPUNIT_ASSERT_MESSAGE(text, text.find("angina") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("pneumonia") == std::string::npos);
        // Nor does the change log keep them: it is what every stream reads.
        CPPUNIT_ASSERT_EQUAL(
            0L, world().clinic().count("change_log", "data LIKE '%angina%' OR data LIKE '%pneumonia%'"));
    }

    void aResumePointThePrunedLogNoLongerHoldsAsksForAReload()
    {
        const auto a = world().book(world().otherPatient());
        const auto b = world().book(world().otherPatient());
        const auto from = world().changeIdOfBooking(a);
        // As the retention job would: everything up to b's row is gone.
        world().clinic().sql(
            "DELETE FROM change_log WHERE id <= " + std::to_string(world().changeIdOfBooking(b)));
        StreamClient s(port(), token("receptionist"), from);
        CPPUNIT_ASSERT(s.waitOpened());
        const auto reloads = s.eventsOf("stream.reload");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(s.text(), std::size_t(1), reloads.size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("history_pruned"), reloads[0].json()->getValue<std::string>("reason"));
        CPPUNIT_ASSERT(*reloads[0].id >= world().changeIdOfBooking(b) || world().changeIdOfBooking(b) == 0);
        // And it carries on live from there.
        const auto c = world().book(world().otherPatient());
        CPPUNIT_ASSERT_MESSAGE(
            s.text(), s.waitFor([&](const auto& events) { return hasBooking(events, c); }));
        CPPUNIT_ASSERT(!hasBooking(s.events(), b));
    }

    void theRetentionJobPrunesRowsOlderThanTheConfiguredDays()
    {
        auto& clinic = world().clinic();
        // A row eight days old (the default keeps seven) and a fresh one.
        const auto fresh = world().book(world().otherPatient());
        const std::string old = clinic.sql("SELECT MIN(id) FROM change_log");
        CPPUNIT_ASSERT(!old.empty());
        clinic.sql("UPDATE change_log SET created_at = created_at - 8 * 86400000 WHERE id = " + old);
        CPPUNIT_ASSERT(clinic.count("jobs", "kind = 'kernel.change_log.prune' AND state = 'queued'") >= 1);
        // The next hourly run, brought forward.
        clinic.sql("UPDATE jobs SET run_at = 0 WHERE kind = 'kernel.change_log.prune' AND state = 'queued'");
        CPPUNIT_ASSERT_MESSAGE(logTail(clinic.daemon()),
            eventually([&] { return clinic.count("change_log", "id = " + old) == 0; }));
        CPPUNIT_ASSERT(world().changeIdOfBooking(fresh) > 0);
        // It scheduled its successor.
        CPPUNIT_ASSERT(eventually([&] {
            return clinic.count("jobs", "kind = 'kernel.change_log.prune' AND state = 'queued'") == 1;
        }));
    }

    void theMetricsCountStreamsAndDeliveries()
    {
        const double deliveredBefore = metric("clinicd_events_delivered_total");
        CPPUNIT_ASSERT(deliveredBefore >= 0);
        CPPUNIT_ASSERT(metric("clinicd_change_log_lag_seconds") >= 0);
        {
            StreamClient a(port(), token("receptionist"));
            StreamClient b(port(), token("doctor"));
            CPPUNIT_ASSERT(a.waitOpened() && b.waitOpened());
            CPPUNIT_ASSERT(eventually([] { return metric("clinicd_event_streams_open") == 2; }));
            const auto appointment = world().book(world().otherPatient());
            CPPUNIT_ASSERT(a.waitFor([&](const auto& events) { return hasBooking(events, appointment); }));
            CPPUNIT_ASSERT(b.waitFor([&](const auto& events) { return hasBooking(events, appointment); }));
            // The counter moves after the write the client has already read.
            CPPUNIT_ASSERT(
                eventually([&] { return metric("clinicd_events_delivered_total") >= deliveredBefore + 2; }));
        }
        CPPUNIT_ASSERT(eventually([] { return metric("clinicd_event_streams_open") == 0; }));
    }

    void aStreamNeedsAToken()
    {
        StreamClient anonymous(port(), "not-a-token");
        CPPUNIT_ASSERT_EQUAL(401, anonymous.status());
    }

    void aMalformedLastEventIdIsRefused()
    {
        auto r = world().clinic().client().get("/api/v1/events/stream",
            {{"Authorization", "Bearer " + token("admin")}, {"Last-Event-ID", "12abc"}});
        CPPUNIT_ASSERT_EQUAL(422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventStreamDaemonTest);
