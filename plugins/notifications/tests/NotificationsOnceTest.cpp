// Exactly once, measured: 200 reminders due while the daemon is killed with
// SIGKILL mid-send, then restarted: every reminder reaches the SMTP server,
// and a duplicate carries the same Message-ID, no more of them than were in
// flight at the kill. Two daemons on one database send each message once.

#include <map>
#include <set>

#include "NotificationsFixture.h"

using namespace nt;

namespace {

constexpr int kReminders = 200;

/// The clinic's config for these tests: short leases, so a killed daemon's
/// messages and jobs are taken over within seconds.
Daemon::Options onceOptions(const SmtpSink& sink, const std::string& rules)
{
    auto o = clinicDaemonOptions("records,scheduling,notifications");
    o.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.config["rules.dir"] = rules;
    o.config["jobs.lease_seconds"] = "3";
    o.config["notifications.lease_seconds"] = "3";
    o.config["notifications.batch"] = "10";
    useSmtp(o, sink);
    return o;
}

/// kReminders appointments of one patient (5-minute visits, Monday and
/// Tuesday 08:00-20:00), their booking notices delivered; the patient's address.
std::string bookMany(ClinicFixture& c, SmtpSink& sink, const std::string& address)
{
    const auto location = c.newLocation("Europe/Bucharest");
    const auto service = c.newService(5);
    const auto doctor = c.newDoctor(location, {service});
    auto r = c.client().request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours",
        R"([{"weekday":1,"start":"08:00","end":"20:00","location_id":)" + str(location)
            + R"(},{"weekday":2,"start":"08:00","end":"20:00","location_id":)" + str(location) + "}]",
        c.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    const auto patient = newPatient(c, "Once", "en", address);
    for (int i = 0; i < kReminders; ++i) {
        const int day = 11 + i / 144, minute = 8 * 60 + (i % 144) * 5;
        char start[40];
        std::snprintf(start, sizeof start, "2027-01-%02dT%02d:%02d:00+02:00", day, minute / 60, minute % 60);
        auto b = c.client().post("/api/v1/appointments",
            R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
                + str(service) + R"(,"start":")" + start + "\"}",
            c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(b.body, 201, b.status);
    }
    sink.await(address, kReminders, 120, &c);
    return address;
}

std::vector<Poco::JSON::Object::Ptr> reminders(const SmtpSink& sink, const std::string& address)
{
    std::vector<Poco::JSON::Object::Ptr> out;
    for (auto& m : sink.to(address))
        if (m->getValue<std::string>("subject").rfind("Reminder:", 0) == 0)
            out.push_back(m);
    return out;
}

} // namespace

class NotificationsOnceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotificationsOnceTest);
    CPPUNIT_TEST(aDaemonKilledMidSendLosesNothingAndRepeatsOnlyWhatWasInFlight);
    CPPUNIT_TEST(twoDaemonsOnOneDatabaseSendEachMessageOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void aDaemonKilledMidSendLosesNothingAndRepeatsOnlyWhatWasInFlight()
    {
        TempDir rules;
        SmtpSink::Options so;
        so.delayMs = 10; // 100 messages a second at most: the kill lands mid-send
        SmtpSink sink(so);
        ClinicFixture::Options o;
        o.daemon = onceOptions(sink, rules.path());
        o.accountPrefix = "once";
        o.roles = {};
        ClinicFixture c(o);
        const auto address = bookMany(c, sink, "once@patients.test");

        // Every reminder due now; kill the daemon once some have left.
        write(c, "UPDATE jobs SET run_at = 0 WHERE kind = 'appointment.reminder'");
        CPPUNIT_ASSERT(pollUntil([&] { return reminders(sink, address).size() >= 30; }, 60));
        c.daemon().signal(SIGKILL);
        c.daemon().waitExit(10);
        const std::size_t before = reminders(sink, address).size();
        const long inFlight
            = c.count("notifications_outbox", "kind = 'appointment.reminder' AND status = 'sending'");
        CPPUNIT_ASSERT_MESSAGE("killed after all were sent: nothing measured", before < kReminders);

        // The same database, a new process.
        auto restart = onceOptions(sink, rules.path());
        restart.dataDir = c.daemon().dataDir();
        restart.dbUrl = c.daemon().dbUrl();
        Daemon again(restart);
        CPPUNIT_ASSERT_MESSAGE(logTail(again),
            pollUntil(
                [&] {
                    return c.count(
                               "notifications_outbox", "kind = 'appointment.reminder' AND status = 'sent'")
                        == kReminders;
                },
                90));

        std::map<std::string, int> byId;
        for (auto& m : reminders(sink, address))
            ++byId[m->getValue<std::string>("message_id")];
        // None lost: each outbox row's Message-ID arrived.
        CPPUNIT_ASSERT_EQUAL(std::size_t(kReminders), byId.size());
        const std::string ids = c.sql(
            "SELECT provider_id FROM notifications_outbox WHERE kind = 'appointment.reminder' ORDER BY id");
        std::istringstream in(ids);
        std::string id;
        int rows = 0;
        while (std::getline(in, id)) {
            CPPUNIT_ASSERT_MESSAGE(id, byId.count(id) == 1);
            ++rows;
        }
        CPPUNIT_ASSERT_EQUAL(kReminders, rows);
        // Duplicates only of what was in flight, each with its own Message-ID again.
        long duplicates = 0;
        for (auto& [messageId, n] : byId)
            duplicates += n - 1;
        std::cerr << "kill after " << before << " of " << kReminders << " reminders; in flight " << inFlight
                  << "; duplicates " << duplicates << "\n";
        CPPUNIT_ASSERT_MESSAGE(
            "duplicates " + str(duplicates) + " > in flight " + str(inFlight), duplicates <= inFlight);
    }

    void twoDaemonsOnOneDatabaseSendEachMessageOnce()
    {
        TempDir rules;
        SmtpSink sink;
        ClinicFixture::Options o;
        o.daemon = onceOptions(sink, rules.path());
        o.accountPrefix = "pair";
        o.roles = {};
        ClinicFixture c(o);
        auto second = onceOptions(sink, rules.path());
        second.dbUrl = c.daemon().dbUrl();
        Daemon other(second);

        const auto address = bookMany(c, sink, "pair@patients.test");
        write(c, "UPDATE jobs SET run_at = 0 WHERE kind = 'appointment.reminder'");
        sink.await(address, 2 * kReminders, 120, &c);
        CPPUNIT_ASSERT(pollUntil([&] {
            return c.count("notifications_outbox", "channel = 'email' AND status = 'sent'") == 2 * kReminders;
        }));
        std::set<std::string> ids;
        for (auto& m : sink.to(address))
            ids.insert(m->getValue<std::string>("message_id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2 * kReminders), ids.size());
        // Give a late duplicate the chance to show before concluding there is none.
        std::this_thread::sleep_for(std::chrono::seconds(1));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2 * kReminders), sink.to(address).size());
        CPPUNIT_ASSERT(other.running());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotificationsOnceTest);
