// Job throughput for the issue notes: one clinicd with the default job
// settings (jobs.workers=2, jobs.poll_ms=500) runs N trivial jobs (each
// inserts one row in its own transaction, the jobstest plugin's
// jobstest.record) on the backend in CLINICD_TEST_BACKEND. Prints figures;
// nothing here passes or fails on time. Not a ctest test: run it through
// tests/bench/jobs_throughput.sh.

#include <cstdlib>
#include <iostream>

#include <cppunit/extensions/HelperMacros.h>

#include "JobsTestSupport.h"

using namespace clinic::test;

class JobsThroughput : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JobsThroughput);
    CPPUNIT_TEST(measure);
    CPPUNIT_TEST_SUITE_END();

public:
    void measure()
    {
        const int n = std::getenv("JOBS_BENCH_N") ? std::atoi(std::getenv("JOBS_BENCH_N")) : 5000;
        Daemon::Options options;
        options.config["plugins.load"] = "jobstest";
        options.config["log.level"] = "warning";
        Daemon daemon(options);
        JobsDatabase db(daemon.dbUrl());
        // All due at one instant, after the scheduling transaction committed:
        // the figure is workers draining a backlog, poll delay included.
        const std::string body = R"({"kind":"jobstest.record","prefix":"bench-","delay_ms":3000,"count":)"
            + std::to_string(n) + "}";
        CPPUNIT_ASSERT_EQUAL(n, scheduleJobs(daemon, body));
        CPPUNIT_ASSERT(eventually(
            [&] {
                return db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                    == n;
            },
            std::chrono::seconds(600)));
        const double seconds
            = static_cast<double>(
                  db.scalar("SELECT MAX(done_at) - MIN(run_at) FROM jobs WHERE kind LIKE 'jobstest.%'"))
            / 1000.0;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(n), db.scalar("SELECT COUNT(*) FROM jobstest_runs"));
        std::cout << "\njobs_throughput backend=" << backend() << " jobs=" << n
                  << " workers=2 seconds=" << seconds << " jobs_per_second=" << static_cast<int>(n / seconds)
                  << std::endl;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JobsThroughput);
