// Two daemons on one MariaDB share a booking load and 200 due jobs; one is
// killed with SIGKILL mid-run. The survivor keeps answering every booking
// (201/409 in the envelope, none lost), and the jobs the dead daemon held
// leased run on the survivor once their lease expires: every job runs
// exactly once (jobstest_runs has a UNIQUE job_id, so a second run could not
// commit unnoticed).

#include <sys/stat.h>

#include <csignal>
#include <iostream>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultsSupport.h"

using namespace clinic::test;

namespace {

Daemon::Options daemonNamed(const std::string& name, const std::string& secretFile)
{
    Daemon::Options o = clinicDaemonOptions("records,scheduling,jobstest");
    o.config["jobstest.daemon"] = name;
    o.config["jobs.poll_ms"] = "50";
    o.config["jobs.lease_seconds"] = "2";
    // One signing key for both, as a clinic group runs them: a token one
    // daemon issued is honoured by the other.
    o.config["auth.jwt_secret_file"] = secretFile;
    return o;
}

long scalar(ClinicFixture& k, const std::string& sql)
{
    return std::stol(k.sql(sql));
}

} // namespace

class TwoDaemonsOneDiesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TwoDaemonsOneDiesTest);
    CPPUNIT_TEST(survivorKeepsBookingAndRunsTheDeadDaemonsLeasedJobsOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void survivorKeepsBookingAndRunsTheDeadDaemonsLeasedJobsOnce()
    {
        TempDir keys;
        const std::string secret = keys.file("jwt.key");
        writeFile(secret, "faults-two-daemons-shared-signing-key-0123456789");
        ::chmod(secret.c_str(), 0600);

        ClinicOptions first;
        first.daemon = daemonNamed("victim", secret);
        ClinicFixture k(first);
        auto survivorOptions = daemonNamed("survivor", secret);
        survivorOptions.dbUrl = k.daemon().dbUrl();
        Daemon survivor(survivorOptions);

        auto victimDesk = openBookingDesk(k, 2);
        auto survivorDesk = openBookingDesk(k, 2);
        BookingLoad onVictim(k.daemon(), k.as("receptionist"), victimDesk, 3, 15);
        BookingLoad onSurvivor(survivor, k.as("receptionist"), survivorDesk, 3, 15);
        CPPUNIT_ASSERT(onSurvivor.awaitCreated(30));
        CPPUNIT_ASSERT(onVictim.awaitCreated(30));

        auto c = k.daemon().client();
        auto scheduled = c.post("/api/v1/jobstest/schedule",
            R"({"kind":"jobstest.record","count":200,"prefix":"two-","sleep_ms":40})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(scheduled.body, 200, scheduled.status);
        CPPUNIT_ASSERT(eventually(
            [&] { return scalar(k, "SELECT COUNT(*) FROM jobstest_runs WHERE daemon = 'victim'") >= 10; },
            std::chrono::seconds(30)));

        k.daemon().signal(SIGKILL);
        CPPUNIT_ASSERT_EQUAL(128 + SIGKILL, k.daemon().waitExit(10));
        const auto killedAt = std::chrono::steady_clock::now();
        // Leased and not finished at the kill, by either daemon.
        const long leasedAtKill
            = scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'running'");
        const long ranByTheDead = scalar(k, "SELECT COUNT(*) FROM jobstest_runs WHERE daemon = 'victim'");
        onVictim.stop();

        // The survivor keeps answering, and finishes every job.
        CPPUNIT_ASSERT(onSurvivor.awaitCreated(50));
        CPPUNIT_ASSERT_MESSAGE(logTail(survivor),
            eventually(
                [&] {
                    return scalar(
                               k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND state = 'done'")
                        == 200;
                },
                std::chrono::seconds(60)));
        const double finishedAfter
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - killedAt).count();
        onSurvivor.stop();

        CPPUNIT_ASSERT_EQUAL(200L, scalar(k, "SELECT COUNT(*) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(200L, scalar(k, "SELECT COUNT(DISTINCT job_id) FROM jobstest_runs"));
        CPPUNIT_ASSERT_EQUAL(0L,
            scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND last_error IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(
            ranByTheDead, scalar(k, "SELECT COUNT(*) FROM jobstest_runs WHERE daemon = 'victim'"));
        CPPUNIT_ASSERT_EQUAL(
            200 - ranByTheDead, scalar(k, "SELECT COUNT(*) FROM jobstest_runs WHERE daemon = 'survivor'"));
        // The leases the dead daemon held were claimed again: a second attempt each.
        const long retaken
            = scalar(k, "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'jobstest.%' AND attempts = 2");

        const auto t = onSurvivor.tally();
        const auto dead = onVictim.tally();
        const long found = assertAllCreatedStored(k, t);
        assertAllCreatedStored(k, dead);
        std::cout << "\n  survivor's bookings: " << t.summary()
                  << "\n  answered 201 by the survivor: " << t.created << ", found: " << found
                  << "; answered 201 by the killed daemon: " << dead.created
                  << " (all found)\n  jobs: 200 ran once each; " << ranByTheDead << " on the killed daemon, "
                  << 200 - ranByTheDead << " on the survivor; " << retaken
                  << " retaken after their lease expired (leased by either daemon at the kill: "
                  << leasedAtKill << "); all done " << finishedAfter << " s after the kill" << std::endl;
        CPPUNIT_ASSERT_MESSAGE(t.summary(), t.other == 0 && t.noAnswer == 0 && t.unavailable == 0);
        CPPUNIT_ASSERT_MESSAGE("the kill must land while the dead daemon held leases", retaken > 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TwoDaemonsOneDiesTest);
