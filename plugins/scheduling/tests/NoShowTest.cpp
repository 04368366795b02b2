// The automatic no-show: appointments whose start passed while the daemon
// was stopped are marked once after the restart (by one daemon, or by two on
// one MariaDB), a moved appointment's job follows its new start, the
// no_show_after rule sets the minutes or says never, and a check-in racing
// the job wins or loses, never both.
//
// The daemon's clock (clock.start) books on Monday 2027-01-04 in the
// morning; the restarted daemon's clock starts that evening, so every job is
// due the moment it starts.

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

const char* const kMorning = "2027-01-04T06:00:00Z";
const char* const kEvening = "2027-01-04T23:00:00Z";

std::string str(std::int64_t n)
{
    return std::to_string(n);
}

/// "2027-01-04THH:MM:00Z" for minutes after midnight UTC.
std::string at(int minutes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "2027-01-04T%02d:%02d:00Z", minutes / 60, minutes % 60);
    return buf;
}

/// The rules every daemon here loads: a "Home visit" never becomes a
/// no-show by itself, a "Long wait" only 12 hours after its start; the rest
/// keep the default (15 minutes); every "Race" appointment is due at 23:00.
const char* const kRules = R"lua(
function no_show_after(ctx)
  if ctx.service.name == "Home visit" then return false end
  if ctx.service.name == "Long wait" then return 720 end
  if ctx.service.name == "Race" then
    local h, m = ctx.appointment.start_utc:match("T(%d%d):(%d%d)")
    return 23 * 60 - (tonumber(h) * 60 + tonumber(m))
  end
  return nil
end
)lua";

struct Booked {
    std::unique_ptr<ClinicFixture> clinic;
    std::string dbUrl, dataDir;
    std::int64_t location = 0, service = 0, doctor = 0;
    std::vector<std::int64_t> ids;
};

ClinicFixture::Options options(const std::string& rulesDir, const std::string& dataDir)
{
    ClinicFixture::Options o;
    o.daemon.config["clock.start"] = kMorning;
    o.daemon.config["rules.dir"] = rulesDir;
    o.daemon.config["jobs.poll_ms"] = "50";
    o.daemon.dataDir = dataDir;
    o.accountPrefix = "noshow";
    o.roles = {"receptionist", "patient"};
    return o;
}

/// n five-minute appointments from 07:00 UTC with one doctor, booked in the
/// morning, then the daemon stopped.
Booked bookThenStop(const TempDir& dir, int n, const std::string& serviceName = "Quick")
{
    Booked b;
    b.dataDir = dir.file("data");
    b.clinic = std::make_unique<ClinicFixture>(options(dir.path(), b.dataDir));
    auto& k = *b.clinic;
    b.location = k.newLocation("UTC");
    b.service = k.newService(5, serviceName, 1000);
    b.doctor = k.newDoctor(b.location, {b.service});
    auto hours = k.client().request("PUT", "/api/v1/doctors/" + str(b.doctor) + "/hours",
        R"([{"weekday":1,"start":"00:00","end":"24:00","location_id":)" + str(b.location) + "}]",
        k.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);
    for (int i = 0; i < n; ++i) {
        auto r = k.client().post("/api/v1/appointments",
            R"({"patient_id":)" + str(k.patient()) + R"(,"doctor_id":)" + str(b.doctor) + R"(,"service_id":)"
                + str(b.service) + R"(,"start":")" + at(7 * 60 + 5 * i) + "\"}",
            k.as("receptionist"));
        b.ids.push_back(createdId(r));
    }
    b.dbUrl = k.daemon().dbUrl();
    return b;
}

void stop(Booked& b)
{
    CPPUNIT_ASSERT_EQUAL(0, b.clinic->daemon().stop());
}

Daemon::Options evening(const Booked& b, const TempDir& dir)
{
    Daemon::Options o = clinicDaemonOptions();
    o.config["clock.start"] = kEvening;
    o.config["rules.dir"] = dir.path();
    o.config["jobs.poll_ms"] = "50";
    o.dataDir = b.dataDir;
    o.dbUrl = b.dbUrl;
    return o;
}

std::string idList(const std::vector<std::int64_t>& ids)
{
    std::string out;
    for (auto id : ids)
        out += (out.empty() ? "" : ",") + str(id);
    return out;
}

} // namespace

class NoShowTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NoShowTest);
    CPPUNIT_TEST(appointmentsPassedWhileStoppedAreMarkedOnceAfterRestart);
    CPPUNIT_TEST(rulesSetTheMinutesAndAMovedAppointmentFollowsItsNewStart);
    CPPUNIT_TEST(checkInRacingTheJobWinsOrLosesNeverBoth);
    CPPUNIT_TEST(bookingsFromBeforeTheUpgradeArePlannedAfterStartAndPastOnesLeftAlone);
    CPPUNIT_TEST_SUITE_END();

public:
    void appointmentsPassedWhileStoppedAreMarkedOnceAfterRestart()
    {
        TempDir dir;
        writeFile(dir.file("site-noshow.lua"), kRules);
        Booked b = bookThenStop(dir, 100);
        const std::string ids = idList(b.ids);
        const std::string mine = "id IN (" + ids + ")";
        CPPUNIT_ASSERT_EQUAL(100L,
            countRows(b.clinic->daemon(), "scheduling_appointments",
                mine + " AND status = 'pending' AND no_show_at = start_utc + 900"));
        CPPUNIT_ASSERT_EQUAL(100L, countRows(b.clinic->daemon(), "jobs", "kind = 'appointment.no_show'"));
        stop(b);

        // One daemon on SQLite; two on the same MariaDB database, racing for
        // the same jobs.
        const int daemons = backend() == "mariadb" ? 2 : 1;
        std::vector<std::unique_ptr<Daemon>> running;
        for (int i = 0; i < daemons; ++i)
            running.push_back(std::make_unique<Daemon>(evening(b, dir)));
        Daemon& d = *running.front();
        const bool done = eventually(
            [&] { return countRows(d, "scheduling_appointments", mine + " AND status = 'no_show'") == 100; },
            std::chrono::seconds(60));
        CPPUNIT_ASSERT_MESSAGE(logTail(d), done);
        // Each exactly once: one change (sequence 1), one audit row by the
        // system, one status_changed event, its cells freed, its job done.
        CPPUNIT_ASSERT_EQUAL(100L, countRows(d, "scheduling_appointments", mine + " AND sequence = 1"));
        CPPUNIT_ASSERT_EQUAL(100L,
            countRows(d, "audit_log",
                "action = 'appointment.update' AND actor_role = 'system' AND actor_id IS NULL"
                " AND object_type = 'appointment'"));
        CPPUNIT_ASSERT_EQUAL(0L, countRows(d, "scheduling_occupancy", "appointment_id IN (" + ids + ")"));
        CPPUNIT_ASSERT_EQUAL(
            100L, countRows(d, "jobs", "kind = 'appointment.no_show' AND state = 'done' AND attempts = 1"));
        CPPUNIT_ASSERT_EQUAL(100L, countRows(d, "change_log", "type = 'appointment.status_changed'"));

        // The dashboard's 30-day no-show rate counts them.
        HttpClient c("127.0.0.1", d.port());
        auto admin = signIn(c, "root.admin");
        auto dash = c.get("/api/v1/stats/dashboard", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, 200, dash.status);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(1.0, dash.json()->getValue<double>("no_show_rate_30d"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(100), dash.json()->getObject("today_by_status")->getValue<Poco::Int64>("no_show"));
        for (auto& r : running)
            CPPUNIT_ASSERT_EQUAL(0, r->stop());

        // A second restart changes nothing more.
        Daemon again(evening(b, dir));
        std::this_thread::sleep_for(std::chrono::milliseconds(300)); // several job polls: nothing due
        CPPUNIT_ASSERT_EQUAL(100L, countRows(again, "scheduling_appointments", mine + " AND sequence = 1"));
        CPPUNIT_ASSERT_EQUAL(100L, countRows(again, "change_log", "type = 'appointment.status_changed'"));
    }

    void rulesSetTheMinutesAndAMovedAppointmentFollowsItsNewStart()
    {
        TempDir dir;
        writeFile(dir.file("site-noshow.lua"), kRules);
        Booked b = bookThenStop(dir, 2);
        auto& k = *b.clinic;
        const auto desk = k.as("receptionist");
        auto book = [&](std::int64_t service, const std::string& start) {
            return createdId(k.client().post("/api/v1/appointments",
                R"({"patient_id":)" + str(k.patient()) + R"(,"doctor_id":)" + str(b.doctor)
                    + R"(,"service_id":)" + str(service) + R"(,"start":")" + start + "\"}",
                desk));
        };
        const auto home = k.newService(5, "Home visit", 1000);
        const auto longWait = k.newService(5, "Long wait", 1000);
        auto link = k.client().request("PATCH", "/api/v1/doctors/" + str(b.doctor),
            R"({"service_ids":[)" + str(b.service) + "," + str(home) + "," + str(longWait) + "]}",
            k.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(link.body, 200, link.status);
        const auto never = book(home, at(9 * 60));
        const auto late = book(longWait, at(9 * 60 + 5)); // due at 21:05
        const auto later = book(longWait, at(12 * 60)); // due at 00:00 tomorrow
        // Moved from 10:00 to 23:30: its 10:15 job finds another start.
        const auto moved = book(b.service, at(10 * 60));
        auto r = k.client().post("/api/v1/appointments/" + str(moved) + "/reschedule",
            "{\"start\":\"" + at(23 * 60 + 30) + "\"}", desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
            k.sql("SELECT no_show_at FROM scheduling_appointments WHERE id = " + str(never) + ";"));
        CPPUNIT_ASSERT_EQUAL(
            2L, k.count("jobs", "idempotency_key LIKE 'no_show:appointment:" + str(moved) + ":%'"));
        stop(b);

        Daemon d(evening(b, dir));
        const std::string first = "id IN (" + idList(b.ids) + ")";
        CPPUNIT_ASSERT_MESSAGE(logTail(d),
            eventually(
                [&] {
                    return countRows(d, "scheduling_appointments", first + " AND status = 'no_show'") == 2
                        && countRows(
                               d, "scheduling_appointments", "id = " + str(late) + " AND status = 'no_show'")
                        == 1;
                },
                std::chrono::seconds(30)));
        // Every due job has run: left are those of 12:00 (due at midnight)
        // and of the moved one's new start (23:45).
        CPPUNIT_ASSERT(eventually(
            [&] { return countRows(d, "jobs", "kind = 'appointment.no_show' AND state <> 'done'") == 2; }));
        for (auto id : {never, later, moved})
            CPPUNIT_ASSERT_EQUAL_MESSAGE(str(id), std::string("pending"),
                sqlOutput(d, "SELECT status FROM scheduling_appointments WHERE id = " + str(id) + ";"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
            sqlOutput(d, "SELECT sequence FROM scheduling_appointments WHERE id = " + str(moved) + ";"));
    }

    void checkInRacingTheJobWinsOrLosesNeverBoth()
    {
        TempDir dir;
        writeFile(dir.file("site-noshow.lua"), kRules);
        const int n = 150;
        Booked b = bookThenStop(dir, n, "Race");
        stop(b);
        // Every job falls due at 23:00 on the evening daemon's clock, a few
        // seconds after it starts; eight clerks check the same appointments
        // in from that moment, in a shuffled order, while the job workers
        // mark them.
        Daemon::Options o = evening(b, dir);
        o.config["clock.start"] = "2027-01-04T22:59:55Z";
        Daemon d(o);
        HttpClient login("127.0.0.1", d.port());
        const auto desk = bearer(signIn(login, "noshow.receptionist").accessToken);
        CPPUNIT_ASSERT(eventually(
            [&] {
                return login.get("/api/v1/time").json()->getValue<std::string>("now")
                    >= "2027-01-04T23:00:00";
            },
            std::chrono::seconds(15)));
        std::atomic<int> next {0}, wins {0}, losses {0}, odd {0};
        std::vector<std::thread> clerks;
        for (int t = 0; t < 8; ++t)
            clerks.emplace_back([&] {
                HttpClient c("127.0.0.1", d.port());
                for (int i = next++; i < n; i = next++) {
                    const auto id = b.ids[static_cast<std::size_t>((i * 37) % n)];
                    auto r = c.post("/api/v1/appointments/" + str(id) + "/check-in", "", desk);
                    if (r.status == 200)
                        ++wins;
                    else if (r.status == 409 && r.errorCode() == "CONFLICT")
                        ++losses;
                    else
                        ++odd;
                }
            });
        for (auto& t : clerks)
            t.join();
        std::printf("\n[no-show race] %d check-ins won, %d lost to the job\n", wins.load(), losses.load());
        CPPUNIT_ASSERT_EQUAL(0, odd.load());
        CPPUNIT_ASSERT_EQUAL(n, wins.load() + losses.load());
        const std::string mine = "id IN (" + idList(b.ids) + ")";
        CPPUNIT_ASSERT(eventually(
            [&] { return countRows(d, "jobs", "kind = 'appointment.no_show' AND state <> 'done'") == 0; },
            std::chrono::seconds(30)));
        // A won check-in stands (checked_in, cells held); a lost one left the
        // no-show. Each appointment changed exactly once.
        CPPUNIT_ASSERT_EQUAL(
            long(wins.load()), countRows(d, "scheduling_appointments", mine + " AND status = 'checked_in'"));
        CPPUNIT_ASSERT_EQUAL(
            long(losses.load()), countRows(d, "scheduling_appointments", mine + " AND status = 'no_show'"));
        CPPUNIT_ASSERT_EQUAL(long(n), countRows(d, "scheduling_appointments", mine + " AND sequence = 1"));
        CPPUNIT_ASSERT_EQUAL(long(n), countRows(d, "change_log", "type = 'appointment.status_changed'"));
    }

    void bookingsFromBeforeTheUpgradeArePlannedAfterStartAndPastOnesLeftAlone()
    {
        // Rows an older version wrote: no plan (no_show_at NULL) and no job.
        // After the restart in the evening the one still to come gets its
        // plan and job from the planning chain; the two whose start passed
        // unplanned get no plan and keep their status.
        TempDir dir;
        writeFile(dir.file("site-noshow.lua"), kRules);
        Booked b = bookThenStop(dir, 2);
        auto& k = *b.clinic;
        const auto future = createdId(k.client().post("/api/v1/appointments",
            R"({"patient_id":)" + str(k.patient()) + R"(,"doctor_id":)" + str(b.doctor) + R"(,"service_id":)"
                + str(b.service) + R"(,"start":")" + at(23 * 60 + 50) + "\"}",
            k.as("receptionist")));
        k.sql("UPDATE scheduling_appointments SET no_show_at = NULL;");
        k.sql("DELETE FROM jobs WHERE kind = 'appointment.no_show';");
        stop(b);

        Daemon d(evening(b, dir));
        const std::string past = "id IN (" + idList(b.ids) + ")";
        CPPUNIT_ASSERT_MESSAGE(logTail(d),
            eventually(
                [&] {
                    return countRows(d, "scheduling_appointments",
                               "id = " + str(future) + " AND no_show_at = start_utc + 900")
                        == 1
                        && countRows(d, "scheduling_appointments", past + " AND no_show_at = 0") == 2;
                },
                std::chrono::seconds(30)));
        CPPUNIT_ASSERT_EQUAL(
            1L, countRows(d, "jobs", "idempotency_key LIKE 'no_show:appointment:" + str(future) + ":%'"));
        CPPUNIT_ASSERT_EQUAL(0L, countRows(d, "scheduling_appointments", past + " AND status = 'no_show'"));
        for (auto id : b.ids)
            CPPUNIT_ASSERT_EQUAL(
                0L, countRows(d, "jobs", "idempotency_key LIKE 'no_show:appointment:" + str(id) + ":%'"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NoShowTest);
