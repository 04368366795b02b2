// Two clinicd daemons on one real MariaDB share 1,000 due jobs: each job runs
// exactly once, and both daemons do some of the work.

#include <iostream>

#include <cppunit/extensions/HelperMacros.h>

#include "JobsTestSupport.h"
#include "MariaDbServer.h"

using clinic::test::Daemon;
using clinic::test::eventually;
using clinic::test::jobsDaemonOptions;
using clinic::test::JobsDatabase;
using clinic::test::scheduleJobs;

class JobsTwoDaemonsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JobsTwoDaemonsTest);
    CPPUNIT_TEST(thousandJobsRunOnceAcrossTwoDaemons);
    CPPUNIT_TEST_SUITE_END();

public:
    void thousandJobsRunOnceAcrossTwoDaemons()
    {
        const std::string url = clinic::test::MariaDbServer::shared().createDatabase("clinicd_jobs_two");
        auto a = jobsDaemonOptions("a");
        a.dbUrl = url;
        Daemon first(a);
        auto b = jobsDaemonOptions("b");
        b.dbUrl = url;
        Daemon second(b);
        JobsDatabase db(url);
        // Scheduled through the first daemon, which wakes its own workers at
        // once; the second finds them by polling.
        CPPUNIT_ASSERT_EQUAL(1000,
            scheduleJobs(first, R"({"kind":"jobstest.record","count":1000,"prefix":"two-","sleep_ms":2})"));
        CPPUNIT_ASSERT(eventually(
            [&] {
                return db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                    == 1000;
            },
            std::chrono::seconds(90)));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1000), db.scalar("SELECT COUNT(*) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(1000), db.scalar("SELECT COUNT(DISTINCT job_id) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0),
            db.scalar("SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(1000), db.scalar("SELECT SUM(attempts) FROM jobs WHERE kind LIKE 'jobstest.%'"));
        auto byDaemon = db.runsByDaemon();
        std::cout << "\n  daemon a ran " << byDaemon["a"] << ", daemon b ran " << byDaemon["b"] << std::endl;
        CPPUNIT_ASSERT(byDaemon["a"] > 0);
        CPPUNIT_ASSERT(byDaemon["b"] > 0);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1000), byDaemon["a"] + byDaemon["b"]);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JobsTwoDaemonsTest);
