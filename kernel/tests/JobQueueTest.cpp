// The durable job queue against the backend under test, driven step by step
// (runDue) on a clock the test moves: scheduling in the caller's
// transaction, idempotency keys, leases, retries with backoff, failure.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include "TestSupport.h"
#include "clinic/Json.h"
#include "db/DatabaseImpl.h"
#include "db/Migrator.h"
#include "jobs/JobQueueImpl.h"

using namespace Poco::Data::Keywords;
using clinic::DatabaseImpl;
using clinic::Job;
using clinic::JobOptions;
using clinic::JobQueueImpl;
using clinic::Transaction;
using clinic::test::TempDir;
using std::chrono::seconds;

namespace {

class ManualClock : public clinic::Clock {
public:
    std::chrono::system_clock::time_point now() const override { return _now; }
    void advance(std::chrono::milliseconds by) { _now += by; }

private:
    std::chrono::system_clock::time_point _now = std::chrono::system_clock::now();
};

struct Fixture {
    Fixture()
    {
        clinic::DatabaseOptions options;
        options.url = clinic::test::freshDatabaseUrl(dir.path());
        options.poolMax = 8;
        db = std::make_unique<DatabaseImpl>(options);
        clinic::Migrator migrator(*db);
        migrator.prepare();
        migrator.apply("kernel", clinic::jobsMigrations(8));
        Poco::Data::Session s = db->session();
        s << db->translate("CREATE TABLE t_runs (id ${PK}, job_id BIGINT NOT NULL UNIQUE)${TABLE}"), now;
        clinic::JobSettings settings;
        settings.leaseSeconds = 60;
        queue = std::make_unique<JobQueueImpl>(*db, clock, settings);
    }

    bool schedule(const std::string& kind, const std::string& key, std::chrono::milliseconds in = {})
    {
        bool out = false;
        db->transact([&](Transaction& tx) {
            auto payload = clinic::makeObject();
            payload->set("key", key);
            out = queue->schedule(tx, kind, payload, clock.now() + in, key);
        });
        return out;
    }

    Poco::Int64 scalar(const std::string& sql)
    {
        Poco::Data::Session s = db->session();
        Poco::Int64 n = -1;
        s << sql, into(n), now;
        return n;
    }

    std::string text(const std::string& sql)
    {
        Poco::Data::Session s = db->session();
        std::string out;
        s << sql, into(out), now;
        return out;
    }

    /// Records the run in the job's own transaction.
    static void record(const Job& job, Transaction& tx)
    {
        Poco::Int64 id = job.id;
        tx.session() << "INSERT INTO t_runs (job_id) VALUES (?)", use(id), now;
    }

    TempDir dir;
    ManualClock clock;
    std::unique_ptr<DatabaseImpl> db;
    std::unique_ptr<JobQueueImpl> queue;
};

} // namespace

class JobQueueTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(JobQueueTest);
    CPPUNIT_TEST(dueJobRunsOnceWithItsWorkCommittedAlongside);
    CPPUNIT_TEST(jobWaitsUntilItsRunAt);
    CPPUNIT_TEST(duplicateIdempotencyKeySchedulesNothingAndKeepsTheTransactionUsable);
    CPPUNIT_TEST(jobScheduledInARolledBackTransactionNeverExists);
    CPPUNIT_TEST(failingJobRetriesWithBackoffThenFailsKeepingItsLastError);
    CPPUNIT_TEST(backoffDoublesAndIsCapped);
    CPPUNIT_TEST(liveLeaseIsLeftAloneAndExpiredLeaseIsClaimedAgain);
    CPPUNIT_TEST(expiredLeaseOnTheLastAttemptFailsTheJob);
    CPPUNIT_TEST(lostLeaseRollsBackTheHandlersWork);
    CPPUNIT_TEST(kindWithoutAHandlerHereStaysQueued);
    CPPUNIT_TEST(workersRunEveryJobOnce);
    CPPUNIT_TEST(statsCountByKindAndStateAndAgeTheOldestDueJob);
    CPPUNIT_TEST(stagedHandlersRegisterOnlyOnCommit);
    CPPUNIT_TEST_SUITE_END();

public:
    void dueJobRunsOnceWithItsWorkCommittedAlongside()
    {
        Fixture f;
        int attempt = 0;
        std::string key;
        f.queue->registerHandler("test.record", [&](const Job& job, Transaction& tx) {
            attempt = job.attempt;
            key = job.payload->getValue<std::string>("key");
            Fixture::record(job, tx);
        });
        CPPUNIT_ASSERT(f.schedule("test.record", "k1"));
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(1, attempt);
        CPPUNIT_ASSERT_EQUAL(std::string("k1"), key);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM t_runs"));
        CPPUNIT_ASSERT_EQUAL(std::string("done"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM jobs WHERE lease_owner IS NULL"));
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
    }

    void jobWaitsUntilItsRunAt()
    {
        Fixture f;
        f.queue->registerHandler("test.record", &Fixture::record);
        f.schedule("test.record", "later", std::chrono::minutes(10));
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        f.clock.advance(std::chrono::minutes(10));
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM t_runs"));
    }

    void duplicateIdempotencyKeySchedulesNothingAndKeepsTheTransactionUsable()
    {
        Fixture f;
        bool first = false, second = false;
        f.db->transact([&](Transaction& tx) {
            first = f.queue->schedule(tx, "test.record", clinic::makeObject(), f.clock.now(), "same");
            second = f.queue->schedule(tx, "test.other", clinic::makeObject(), f.clock.now(), "same");
            // The transaction is still good after the skipped duplicate.
            tx.session() << "INSERT INTO t_runs (job_id) VALUES (999)", now;
        });
        CPPUNIT_ASSERT(first);
        CPPUNIT_ASSERT(!second);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM t_runs"));
        CPPUNIT_ASSERT(!f.schedule("test.record", "same"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(std::string("test.record"), f.text("SELECT kind FROM jobs"));
        CPPUNIT_ASSERT_THROW(f.schedule("test.record", std::string(192, 'k')), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(f.schedule(std::string(65, 'x'), "k65"), std::invalid_argument);
    }

    void jobScheduledInARolledBackTransactionNeverExists()
    {
        Fixture f;
        int runs = 0;
        f.queue->registerHandler("test.record", [&](const Job&, Transaction&) { ++runs; });
        CPPUNIT_ASSERT_THROW(f.db->transact([&](Transaction& tx) {
            f.queue->schedule(tx, "test.record", clinic::makeObject(), f.clock.now(), "doomed");
            throw std::runtime_error("caller changed its mind");
        }),
            std::runtime_error);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), f.scalar("SELECT COUNT(*) FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(0, runs);
        // The key was never taken: scheduling it again works.
        CPPUNIT_ASSERT(f.schedule("test.record", "doomed"));
    }

    void failingJobRetriesWithBackoffThenFailsKeepingItsLastError()
    {
        Fixture f;
        JobOptions options;
        options.maxAttempts = 3;
        options.backoffBaseSeconds = 10;
        int calls = 0;
        f.queue->registerHandler(
            "test.flaky",
            [&](const Job& job, Transaction& tx) {
                ++calls;
                Fixture::record(job, tx); // rolled back with the failure
                throw std::runtime_error("smtp refused, attempt " + std::to_string(job.attempt));
            },
            options);
        f.schedule("test.flaky", "f1");
        const Poco::Int64 t0 = f.scalar("SELECT run_at FROM jobs");
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT attempts FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(std::string("smtp refused, attempt 1"), f.text("SELECT last_error FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(t0 + 10000, f.scalar("SELECT run_at FROM jobs"));
        // Not due before its backoff has passed.
        f.clock.advance(std::chrono::milliseconds(9999));
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        f.clock.advance(std::chrono::milliseconds(1));
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(t0 + 10000 + 20000, f.scalar("SELECT run_at FROM jobs"));
        f.clock.advance(seconds(20));
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), f.scalar("SELECT attempts FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(std::string("smtp refused, attempt 3"), f.text("SELECT last_error FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NOT NULL"));
        CPPUNIT_ASSERT_EQUAL(3, calls);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), f.scalar("SELECT COUNT(*) FROM t_runs"));
        f.clock.advance(std::chrono::hours(1));
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(3, calls);
    }

    void backoffDoublesAndIsCapped()
    {
        JobOptions o;
        o.backoffBaseSeconds = 10;
        o.backoffMaxSeconds = 60;
        CPPUNIT_ASSERT_DOUBLES_EQUAL(10.0, JobQueueImpl::backoffSeconds(o, 1), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(20.0, JobQueueImpl::backoffSeconds(o, 2), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(40.0, JobQueueImpl::backoffSeconds(o, 3), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(60.0, JobQueueImpl::backoffSeconds(o, 4), 1e-9);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(60.0, JobQueueImpl::backoffSeconds(o, 40), 1e-9);
    }

    void liveLeaseIsLeftAloneAndExpiredLeaseIsClaimedAgain()
    {
        Fixture f;
        int attempt = 0;
        f.queue->registerHandler("test.record", [&](const Job& job, Transaction& tx) {
            attempt = job.attempt;
            Fixture::record(job, tx);
        });
        f.schedule("test.record", "leased");
        // Another daemon holds it (lease on real time, a minute left).
        Poco::Int64 until = std::chrono::duration_cast<std::chrono::milliseconds>(
            (std::chrono::system_clock::now() + seconds(60)).time_since_epoch())
                                .count();
        {
            Poco::Data::Session s = f.db->session();
            s << "UPDATE jobs SET state = 'running', attempts = 1, lease_owner = 'other', lease_until = ?",
                use(until), now;
        }
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        // That daemon died: its lease runs out.
        until -= 61000;
        {
            Poco::Data::Session s = f.db->session();
            s << "UPDATE jobs SET lease_until = ?", use(until), now;
        }
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(2, attempt);
        CPPUNIT_ASSERT_EQUAL(std::string("done"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), f.scalar("SELECT COUNT(*) FROM t_runs"));
    }

    void expiredLeaseOnTheLastAttemptFailsTheJob()
    {
        Fixture f;
        JobOptions options;
        options.maxAttempts = 2;
        int runs = 0;
        f.queue->registerHandler(
            "test.crasher", [&](const Job&, Transaction&) { ++runs; }, options);
        f.schedule("test.crasher", "crash");
        {
            Poco::Data::Session s = f.db->session();
            s << "UPDATE jobs SET state = 'running', attempts = 2, lease_owner = 'dead', lease_until = 1",
                now;
        }
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(0, runs);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT(f.text("SELECT last_error FROM jobs").find("lease expired") != std::string::npos);
    }

    void lostLeaseRollsBackTheHandlersWork()
    {
        Fixture f;
        f.queue->registerHandler("test.record", [&](const Job& job, Transaction& tx) {
            Fixture::record(job, tx);
            // What another daemon's claim after our lease expired looks like.
            Poco::Int64 id = job.id;
            tx.session() << "UPDATE jobs SET attempts = attempts + 1, lease_owner = 'other' WHERE id = ?",
                use(id), now;
        });
        f.schedule("test.record", "stolen");
        CPPUNIT_ASSERT_EQUAL(1, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), f.scalar("SELECT COUNT(*) FROM t_runs"));
        CPPUNIT_ASSERT_EQUAL(std::string("running"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(f.queue->owner(), f.text("SELECT lease_owner FROM jobs"));
    }

    void kindWithoutAHandlerHereStaysQueued()
    {
        Fixture f;
        f.queue->registerHandler("test.record", &Fixture::record);
        f.schedule("test.elsewhere", "e1");
        CPPUNIT_ASSERT_EQUAL(0, f.queue->runDue(8));
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), f.text("SELECT state FROM jobs"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), f.scalar("SELECT attempts FROM jobs"));
    }

    void workersRunEveryJobOnce()
    {
        Fixture f;
        std::atomic<int> runs {0};
        f.queue->registerHandler("test.record", [&](const Job& job, Transaction& tx) {
            Fixture::record(job, tx);
            ++runs;
        });
        f.db->transact([&](Transaction& tx) {
            for (int i = 0; i < 60; ++i)
                f.queue->schedule(
                    tx, "test.record", clinic::makeObject(), f.clock.now(), "w" + std::to_string(i));
        });
        f.queue->start();
        CPPUNIT_ASSERT(clinic::test::eventually(
            [&] { return f.scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done'") == 60; },
            std::chrono::seconds(30)));
        f.queue->stop();
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(60), f.scalar("SELECT COUNT(*) FROM t_runs"));
        CPPUNIT_ASSERT_EQUAL(60, runs.load());
    }

    void statsCountByKindAndStateAndAgeTheOldestDueJob()
    {
        Fixture f;
        f.schedule("test.a", "a1");
        f.schedule("test.a", "a2", std::chrono::minutes(5));
        f.schedule("test.b", "b1");
        f.clock.advance(seconds(30));
        auto stats = f.queue->stats();
        std::map<std::string, Poco::Int64> byKind;
        for (const auto& r : stats.rows) {
            CPPUNIT_ASSERT_EQUAL(std::string("queued"), r.state);
            byKind[r.kind] = r.count;
        }
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), byKind["test.a"]);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), byKind["test.b"]);
        // No handler for either kind here: they wait by design, no backlog.
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, stats.oldestDueAgeSeconds, 0.001);
        // A kind this queue runs and that waits is a backlog.
        f.queue->registerHandler("test.b", [](const clinic::Job&, clinic::Transaction&) {});
        CPPUNIT_ASSERT_DOUBLES_EQUAL(30.0, f.queue->stats().oldestDueAgeSeconds, 0.5);
    }

    void stagedHandlersRegisterOnlyOnCommit()
    {
        Fixture f;
        {
            clinic::StagedJobQueue failedStart(f.queue.get(), "failing-plugin");
            failedStart.registerHandler("test.record", &Fixture::record);
        }
        CPPUNIT_ASSERT(!f.queue->hasHandler("test.record"));
        clinic::StagedJobQueue started(f.queue.get(), "good-plugin");
        started.registerHandler("test.record", &Fixture::record);
        CPPUNIT_ASSERT(!f.queue->hasHandler("test.record"));
        started.check();
        started.commit();
        CPPUNIT_ASSERT(f.queue->hasHandler("test.record"));
        clinic::StagedJobQueue rival(f.queue.get(), "rival-plugin");
        rival.registerHandler("test.record", &Fixture::record);
        CPPUNIT_ASSERT_THROW(rival.check(), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(JobQueueTest);
