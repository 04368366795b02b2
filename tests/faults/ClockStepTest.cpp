// The daemon's clock stepped forward and back by an hour (clock.offset_file,
// as NTP steps a server's clock) while jobs are due and tokens are live:
// every job runs exactly once and none is lost, a job due after the step
// runs when the stepped clock reaches it and not before, and access tokens
// are valid exactly while the clock is before their own exp.

#include <iostream>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultsSupport.h"

using namespace clinic::test;

namespace {

long scalar(ClinicFixture& k, const std::string& sql)
{
    return std::stol(k.sql(sql));
}

long runsOf(ClinicFixture& k, const std::string& prefix)
{
    return scalar(k,
        "SELECT COUNT(*) FROM jobstest_runs r JOIN jobs j ON j.id = r.job_id WHERE j.idempotency_key LIKE '%"
            + prefix + "%'");
}

void schedule(Daemon& d, const std::string& prefix, int count, long delayMs, int sleepMs = 0)
{
    auto r = d.client().post("/api/v1/jobstest/schedule",
        R"({"kind":"jobstest.record","count":)" + std::to_string(count) + R"(,"prefix":")" + prefix
            + R"(","delay_ms":)" + std::to_string(delayMs) + R"(,"sleep_ms":)" + std::to_string(sleepMs)
            + "}");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, count, r.json()->getValue<int>("scheduled"));
}

int me(ClinicFixture& k, const std::map<std::string, std::string>& auth)
{
    return k.client().get("/api/v1/auth/me", auth).status;
}

} // namespace

class ClockStepTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClockStepTest);
    CPPUNIT_TEST(jobsRunOnceAcrossAnHourForwardAndBackAndTokensKeepTheirOwnExpiry);
    CPPUNIT_TEST_SUITE_END();

public:
    void jobsRunOnceAcrossAnHourForwardAndBackAndTokensKeepTheirOwnExpiry()
    {
        TempDir dir;
        const std::string offset = dir.file("clock-offset");
        auto step = [&](int seconds) { writeFile(offset, std::to_string(seconds) + "\n"); };
        step(0);
        ClinicOptions options;
        options.daemon = clinicDaemonOptions("records,scheduling,jobstest");
        options.daemon.config["clock.offset_file"] = offset;
        options.daemon.config["auth.access_ttl_seconds"] = "1800";
        options.daemon.config["jobs.poll_ms"] = "50";
        // Long enough for a claimed batch to finish: a second attempt here
        // could then only come from the clock step.
        options.daemon.config["jobs.lease_seconds"] = "60";
        options.roles = {"receptionist"};
        ClinicFixture k(options);
        auto& d = k.daemon();
        // Issued at real time T, expires at T+30 min.
        const auto early = k.as("receptionist");
        CPPUNIT_ASSERT_EQUAL(200, me(k, early));

        // Due at T+30 min and T+2 h: nothing runs yet.
        schedule(d, "half-", 30, 30 * 60 * 1000);
        schedule(d, "late-", 10, 2 * 3600 * 1000);

        // Forward an hour: what fell due inside the skipped hour runs, once;
        // what is due later still waits; the early token is past its exp.
        step(3600);
        CPPUNIT_ASSERT_MESSAGE(logTail(d), eventually([&] { return runsOf(k, "half-") == 30; }));
        CPPUNIT_ASSERT(eventually([&] { return me(k, early) == 401; }));
        CPPUNIT_ASSERT_EQUAL(0L, runsOf(k, "late-"));
        // A token issued now (T+1 h by the clock) expires at T+1 h 30 min.
        const auto later = bearer(signIn(k.client(), "clinic.receptionist").accessToken);
        CPPUNIT_ASSERT_EQUAL(200, me(k, later));

        // Jobs due now (T+1 h), some running when the clock steps back an hour.
        schedule(d, "now-", 40, 0, 100);
        CPPUNIT_ASSERT(eventually([&] { return runsOf(k, "now-") >= 2; }));
        step(0);
        // The step reaches the daemon within a second; the jobs already
        // claimed finish (leases keep to real time, so none is taken over),
        // the rest are due an hour from the stepped clock and wait for it.
        CPPUNIT_ASSERT(eventually([&] { return me(k, early) == 200; }));
        CPPUNIT_ASSERT(eventually([&] {
            return scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'running'")
                == 0;
        }));
        const long nowRanBeforeBack = runsOf(k, "now-");
        CPPUNIT_ASSERT_EQUAL(200, me(k, later));
        CPPUNIT_ASSERT_EQUAL(30L, runsOf(k, "half-"));
        CPPUNIT_ASSERT_EQUAL(0L, runsOf(k, "late-"));

        // Forward again, past every due time: each remaining job runs once.
        step(2 * 3600 + 60);
        CPPUNIT_ASSERT_MESSAGE(logTail(d), eventually([&] {
            return scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                == 80;
        }));
        CPPUNIT_ASSERT(eventually([&] { return me(k, later) == 401; }));
        CPPUNIT_ASSERT_EQUAL(80L, scalar(k, "SELECT COUNT(*) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(80L, scalar(k, "SELECT COUNT(DISTINCT job_id) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(
            0L, scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND attempts <> 1"));
        CPPUNIT_ASSERT_EQUAL(0L,
            scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error IS NOT NULL"));
        std::cout << "\n  clock +1 h: 30 jobs due inside the hour ran once each, 10 due later waited;"
                  << "\n  clock back 1 h: " << nowRanBeforeBack << " of 40 due jobs had run, the other "
                  << 40 - nowRanBeforeBack << " waited for the clock to reach them again;"
                  << "\n  clock +2 h: all 80 jobs ran exactly once (80 runs, 80 distinct, every attempt 1);"
                  << " tokens valid exactly before their exp at each step" << std::endl;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClockStepTest);
