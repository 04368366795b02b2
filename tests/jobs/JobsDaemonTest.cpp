// Durable jobs through the real clinicd on the backend under test: a daemon
// SIGKILLed mid-run loses no job and runs none twice once restarted; a job
// retries with backoff and fails keeping its error; duplicate keys and
// rolled-back transactions schedule nothing.

#include <csignal>
#include <iostream>

#include <cppunit/extensions/HelperMacros.h>

#include "JobsTestSupport.h"

using clinic::test::Daemon;
using clinic::test::eventually;
using clinic::test::jobsDaemonOptions;
using clinic::test::JobsDatabase;
using clinic::test::scheduleJobs;

class JobsDaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JobsDaemonTest);
    CPPUNIT_TEST(killedDaemonsJobsRunExactlyOnceAfterRestart);
    CPPUNIT_TEST(sigtermFinishesRunningJobsAndHandsBackTheRest);
    CPPUNIT_TEST(failingJobRetriesThenFailsWithItsLastError);
    CPPUNIT_TEST(duplicateKeysAndRolledBackTransactionsScheduleNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void killedDaemonsJobsRunExactlyOnceAfterRestart()
    {
        Daemon first(jobsDaemonOptions("first"));
        JobsDatabase db(first.dbUrl());
        CPPUNIT_ASSERT_EQUAL(200,
            scheduleJobs(first, R"({"kind":"jobstest.record","count":200,"prefix":"crash-","sleep_ms":15})"));
        CPPUNIT_ASSERT(eventually(
            [&] { return db.scalar("SELECT COUNT(*) FROM jobstest_runs") >= 30; }, std::chrono::seconds(30)));
        first.signal(SIGKILL);
        CPPUNIT_ASSERT_EQUAL(128 + SIGKILL, first.waitExit(10));
        const auto ranBefore = db.scalar("SELECT COUNT(*) FROM jobstest_runs");
        const auto heldByTheDead
            = db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'running'");
        std::cout << "\n  killed after " << ranBefore << " of 200 jobs; " << heldByTheDead
                  << " were leased to the killed daemon" << std::endl;
        CPPUNIT_ASSERT_MESSAGE("the kill must land mid-run", ranBefore < 200);

        auto options = jobsDaemonOptions("second");
        options.dataDir = first.dataDir();
        options.dbUrl = first.dbUrl();
        Daemon second(options);
        CPPUNIT_ASSERT(eventually(
            [&] {
                return db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                    == 200;
            },
            std::chrono::seconds(60)));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(200), db.scalar("SELECT COUNT(*) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(200), db.scalar("SELECT COUNT(DISTINCT job_id) FROM jobstest_runs"));
        // No attempt failed: a second run would have hit the UNIQUE job_id.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar("SELECT COUNT(*) FROM jobs j WHERE j.kind LIKE 'jobstest.%' AND NOT EXISTS"
                      " (SELECT 1 FROM jobstest_runs r WHERE r.job_id = j.id)"));
        CPPUNIT_ASSERT_EQUAL(200 - ranBefore, db.runsByDaemon()["second"]);
    }

    void sigtermFinishesRunningJobsAndHandsBackTheRest()
    {
        auto options = jobsDaemonOptions("first");
        options.config["jobs.lease_seconds"] = "600"; // a job left leased would stay stuck
        Daemon first(options);
        JobsDatabase db(first.dbUrl());
        CPPUNIT_ASSERT_EQUAL(40,
            scheduleJobs(first, R"({"kind":"jobstest.record","count":40,"prefix":"term-","sleep_ms":100})"));
        CPPUNIT_ASSERT(eventually([&] { return db.scalar("SELECT COUNT(*) FROM jobstest_runs") >= 2; }));
        CPPUNIT_ASSERT_EQUAL(0, first.stop(SIGTERM));
        const std::string log = first.log();
        const auto workersStopped = log.find("job workers stopped");
        CPPUNIT_ASSERT(workersStopped != std::string::npos);
        // Nothing is left leased to the stopped daemon, and nothing it
        // finished was lost.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'running'"));
        const auto ran = db.scalar("SELECT COUNT(*) FROM jobstest_runs");
        CPPUNIT_ASSERT_EQUAL(
            ran, db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'"));
        CPPUNIT_ASSERT(ran < 40);

        auto again = jobsDaemonOptions("second");
        again.dataDir = first.dataDir();
        again.dbUrl = first.dbUrl();
        Daemon second(again);
        CPPUNIT_ASSERT(eventually(
            [&] {
                return db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                    == 40;
            },
            std::chrono::seconds(30)));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(40), db.scalar("SELECT COUNT(*) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error IS NOT NULL"));
    }

    void failingJobRetriesThenFailsWithItsLastError()
    {
        auto options = jobsDaemonOptions("d");
        options.config["plugins.load"] = "jobstest,metrics";
        Daemon daemon(options);
        JobsDatabase db(daemon.dbUrl());
        CPPUNIT_ASSERT_EQUAL(1, scheduleJobs(daemon, R"({"kind":"jobstest.flaky","prefix":"flaky-"})"));
        // Backoff 0.2 s then 0.4 s: failed after the third attempt.
        CPPUNIT_ASSERT(eventually(
            [&] {
                return db.scalar(
                           "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'failed'")
                    == 1;
            },
            std::chrono::seconds(20)));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(3), db.scalar("SELECT attempts FROM jobs WHERE kind LIKE 'jobstest.%'"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1),
            db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error = 'flaky "
                      "attempt 3' AND done_at IS NOT NULL"));
        CPPUNIT_ASSERT(daemon.log().find("failed after 3 attempt(s): flaky attempt 3") != std::string::npos);
        // The gauges are read at scrape time.
        const std::string metrics = daemon.client().get("/metrics").body;
        CPPUNIT_ASSERT_MESSAGE(metrics,
            metrics.find("clinicd_jobs{kind=\"jobstest.flaky\",state=\"failed\"} 1") != std::string::npos);
        CPPUNIT_ASSERT(metrics.find("clinicd_jobs_oldest_due_age_seconds 0") != std::string::npos);
    }

    void duplicateKeysAndRolledBackTransactionsScheduleNothing()
    {
        Daemon daemon(jobsDaemonOptions("d"));
        JobsDatabase db(daemon.dbUrl());
        CPPUNIT_ASSERT_EQUAL(0,
            scheduleJobs(daemon, R"({"kind":"jobstest.record","count":5,"prefix":"gone-","rollback":true})")
                - 5);
        CPPUNIT_ASSERT_EQUAL(
            3, scheduleJobs(daemon, R"({"kind":"jobstest.record","count":3,"prefix":"dup-"})"));
        CPPUNIT_ASSERT_EQUAL(
            1, scheduleJobs(daemon, R"({"kind":"jobstest.record","count":4,"prefix":"dup-"})"));
        CPPUNIT_ASSERT(eventually([&] {
            return db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                == 4;
        }));
        // The rolled-back jobs never existed, so nothing can run them.
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(4), db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%'"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar(
                "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND idempotency_key LIKE 'gone-%'"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(4), db.scalar("SELECT COUNT(*) FROM jobstest_runs"));
        // Events: the two committed schedule requests, not the rolled-back one.
        auto r = daemon.client().get("/api/v1/jobstest/events");
        CPPUNIT_ASSERT_EQUAL(2, r.json()->getValue<int>("events"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JobsDaemonTest);
