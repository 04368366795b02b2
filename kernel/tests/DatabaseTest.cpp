// DatabaseImpl on the backend under test: transactions commit or roll back
// whole, after-commit hooks run only after a commit, and unique violations
// are told apart from other constraint failures.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/DataException.h>
#include <Poco/Data/Session.h>
#include <prometheus/registry.h>

#include "FreshDatabase.h"
#include "TestSupport.h"
#include "clinic/Http.h"
#include "db/DatabaseImpl.h"

using namespace Poco::Data::Keywords;
using clinic::DatabaseImpl;
using clinic::Transaction;
using clinic::test::TempDir;

namespace {

std::unique_ptr<DatabaseImpl> openFresh(TempDir& dir)
{
    return clinic::test::openFreshDatabase(dir);
}

int countRows(DatabaseImpl& db, const std::string& table)
{
    return clinic::test::scalarOf(db, "SELECT COUNT(*) FROM " + table);
}

void createTables(DatabaseImpl& db)
{
    Poco::Data::Session s = db.session();
    s << db.translate("CREATE TABLE t_parent (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"), now;
    s << db.translate("CREATE TABLE t_item (id ${PK}, code VARCHAR(40) NOT NULL, parent_id BIGINT NULL,"
                      " CONSTRAINT t_item_code UNIQUE (code),"
                      " CONSTRAINT t_item_parent FOREIGN KEY (parent_id) REFERENCES t_parent (id))${TABLE}"),
        now;
}

void insertItem(Transaction& tx, const std::string& code)
{
    std::string c = code;
    tx.session() << "INSERT INTO t_item (code) VALUES (?)", use(c), now;
}

/// Waits until flag is set, polling, for at most five seconds.
bool waitFor(const std::atomic<bool>& flag)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!flag && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return flag;
}

/// clinicd_db_transaction_retries_total{reason} as collected from registry.
double retriesCounted(prometheus::Registry& registry, const std::string& reason)
{
    for (const auto& family : registry.Collect()) {
        if (family.name != "clinicd_db_transaction_retries_total")
            continue;
        for (const auto& metric : family.metric)
            for (const auto& label : metric.label)
                if (label.name == "reason" && label.value == reason)
                    return metric.counter.value;
    }
    return -1;
}

void createTwoRows(DatabaseImpl& db)
{
    Poco::Data::Session s = db.session();
    s << db.translate("CREATE TABLE t_row (id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)${TABLE}"), now;
    s << "INSERT INTO t_row (id, n) VALUES (1, 0), (2, 0)", now;
}

} // namespace

class DatabaseTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DatabaseTest);
    CPPUNIT_TEST(dialectMatchesTheBackend);
    CPPUNIT_TEST(transactCommitsWhatTheFunctionWrote);
    CPPUNIT_TEST(transactRollsBackAndRethrowsOnException);
    CPPUNIT_TEST(afterCommitRunsOnlyOnceTheDataIsCommitted);
    CPPUNIT_TEST(afterCommitNeverRunsForARolledBackTransaction);
    CPPUNIT_TEST(afterCommitHookFailureDoesNotUndoTheCommit);
    CPPUNIT_TEST(duplicateUniqueKeyIsAUniqueViolation);
    CPPUNIT_TEST(duplicatePrimaryKeyIsAUniqueViolation);
    CPPUNIT_TEST(foreignKeyViolationIsNotAUniqueViolation);
    CPPUNIT_TEST(notNullViolationIsNotAUniqueViolation);
    CPPUNIT_TEST(concurrentReadModifyWriteTransactionsLoseNoUpdate);
    CPPUNIT_TEST(translateFillsTheBackendTokens);
    CPPUNIT_TEST(describeHidesThePassword);
    CPPUNIT_TEST(aWriteOutsideATransactionIsCommittedAtOnceAfterATransaction);
    CPPUNIT_TEST(longTextRoundTripsSixtyKilobytes);
    CPPUNIT_TEST(deadlockedTransactionIsRunAgainAndBothCommit);
    CPPUNIT_TEST(contentionPastEveryRetryAnswersDatabaseBusy);
    CPPUNIT_TEST(persistentLockWaitTimeoutAnswersDatabaseBusy);
    CPPUNIT_TEST(aGroupCommitsTogetherAndItsRefusedWritesRollBackAlone);
    CPPUNIT_TEST_SUITE_END();

public:
    void dialectMatchesTheBackend()
    {
        TempDir dir;
        auto db = openFresh(dir);
        CPPUNIT_ASSERT(db->dialect()
            == (clinic::test::backend() == "mariadb" ? clinic::Dialect::MySQL : clinic::Dialect::SQLite));
        CPPUNIT_ASSERT(db->check().ok);
    }

    void transactCommitsWhatTheFunctionWrote()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        db->transact([](Transaction& tx) {
            insertItem(tx, "a");
            insertItem(tx, "b");
        });
        CPPUNIT_ASSERT_EQUAL(2, countRows(*db, "t_item"));
    }

    void transactRollsBackAndRethrowsOnException()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        CPPUNIT_ASSERT_THROW_MESSAGE("the function's exception reaches the caller",
            db->transact([](Transaction& tx) {
                insertItem(tx, "a");
                throw std::logic_error("changed my mind");
            }),
            std::logic_error);
        CPPUNIT_ASSERT_EQUAL(0, countRows(*db, "t_item"));
        // The session went back to the pool usable: the next transaction commits.
        db->transact([](Transaction& tx) { insertItem(tx, "a"); });
        CPPUNIT_ASSERT_EQUAL(1, countRows(*db, "t_item"));
    }

    void afterCommitRunsOnlyOnceTheDataIsCommitted()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        std::vector<std::string> events;
        int seenByHook = -1;
        db->transact([&](Transaction& tx) {
            insertItem(tx, "a");
            tx.afterCommit([&] {
                events.push_back("first");
                // Another pooled session sees the row: it is committed.
                seenByHook = countRows(*db, "t_item");
            });
            tx.afterCommit([&] { events.push_back("second"); });
            events.push_back("body done");
        });
        CPPUNIT_ASSERT((events == std::vector<std::string> {"body done", "first", "second"}));
        CPPUNIT_ASSERT_EQUAL(1, seenByHook);
    }

    void afterCommitNeverRunsForARolledBackTransaction()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        bool ran = false;
        CPPUNIT_ASSERT_THROW(db->transact([&](Transaction& tx) {
            insertItem(tx, "a");
            tx.afterCommit([&] { ran = true; });
            insertItem(tx, "a"); // unique violation
        }),
            std::exception);
        CPPUNIT_ASSERT(!ran);
        CPPUNIT_ASSERT_EQUAL(0, countRows(*db, "t_item"));
    }

    void afterCommitHookFailureDoesNotUndoTheCommit()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        bool laterHookRan = false;
        db->transact([&](Transaction& tx) {
            insertItem(tx, "a");
            tx.afterCommit([] { throw std::runtime_error("mail server down"); });
            tx.afterCommit([&] { laterHookRan = true; });
        });
        CPPUNIT_ASSERT(laterHookRan);
        CPPUNIT_ASSERT_EQUAL(1, countRows(*db, "t_item"));
    }

    void duplicateUniqueKeyIsAUniqueViolation()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        db->transact([](Transaction& tx) { insertItem(tx, "slot-1"); });
        bool caught = false;
        try {
            db->transact([](Transaction& tx) { insertItem(tx, "slot-1"); });
        } catch (const std::exception& e) {
            caught = true;
            CPPUNIT_ASSERT_MESSAGE(e.what(), db->isUniqueViolation(e));
        }
        CPPUNIT_ASSERT(caught);
    }

    void duplicatePrimaryKeyIsAUniqueViolation()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        auto insertParent = [](Transaction& tx) {
            Poco::Int64 id = 7;
            tx.session() << "INSERT INTO t_parent (id) VALUES (?)", use(id), now;
        };
        db->transact(insertParent);
        bool caught = false;
        try {
            db->transact(insertParent);
        } catch (const std::exception& e) {
            caught = true;
            CPPUNIT_ASSERT_MESSAGE(e.what(), db->isUniqueViolation(e));
        }
        CPPUNIT_ASSERT(caught);
    }

    void foreignKeyViolationIsNotAUniqueViolation()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        bool caught = false;
        try {
            db->transact([](Transaction& tx) {
                Poco::Int64 missingParent = 1062; // a number that must not fool the check
                tx.session() << "INSERT INTO t_item (code, parent_id) VALUES ('orphan', ?)",
                    use(missingParent), now;
            });
        } catch (const std::exception& e) {
            caught = true;
            CPPUNIT_ASSERT_MESSAGE(e.what(), !db->isUniqueViolation(e));
        }
        CPPUNIT_ASSERT_MESSAGE("foreign keys must be enforced", caught);
        CPPUNIT_ASSERT_EQUAL(0, countRows(*db, "t_item"));
    }

    void notNullViolationIsNotAUniqueViolation()
    {
        TempDir dir;
        auto db = openFresh(dir);
        createTables(*db);
        bool caught = false;
        try {
            db->transact(
                [](Transaction& tx) { tx.session() << "INSERT INTO t_item (code) VALUES (NULL)", now; });
        } catch (const std::exception& e) {
            caught = true;
            CPPUNIT_ASSERT_MESSAGE(e.what(), !db->isUniqueViolation(e));
        }
        CPPUNIT_ASSERT(caught);
        CPPUNIT_ASSERT(!db->isUniqueViolation(std::runtime_error("Duplicate nothing")));
    }

    void concurrentReadModifyWriteTransactionsLoseNoUpdate()
    {
        TempDir dir;
        auto db = openFresh(dir);
        {
            Poco::Data::Session s = db->session();
            s << db->translate(
                "CREATE TABLE t_counter (id BIGINT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)${TABLE}"),
                now;
            s << "INSERT INTO t_counter (id, n) VALUES (1, 0)", now;
        }
        // SQLite's BEGIN IMMEDIATE takes the write lock before the read; on
        // MariaDB the read locks the row with FOR UPDATE.
        const std::string read = db->dialect() == clinic::Dialect::SQLite
            ? "SELECT n FROM t_counter WHERE id = 1"
            : "SELECT n FROM t_counter WHERE id = 1 FOR UPDATE";
        constexpr int kThreads = 3;
        constexpr int kEach = 15;
        std::atomic<int> failures {0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kEach; ++i) {
                    try {
                        db->transact([&](Transaction& tx) {
                            Poco::Int64 n = 0;
                            tx.session() << read, into(n), now;
                            ++n;
                            tx.session() << "UPDATE t_counter SET n = ? WHERE id = 1", use(n), now;
                        });
                    } catch (const std::exception&) {
                        ++failures;
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        Poco::Data::Session s = db->session();
        Poco::Int64 n = 0;
        s << "SELECT n FROM t_counter WHERE id = 1", into(n), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(kThreads * kEach), n);
    }

    void translateFillsTheBackendTokens()
    {
        TempDir dir;
        auto db = openFresh(dir);
        const std::string sql
            = db->translate("CREATE TABLE x (id ${PK}, body ${LONGTEXT}, data ${BLOB})${TABLE}");
        CPPUNIT_ASSERT_MESSAGE(sql, sql.find("${") == std::string::npos);
        if (db->dialect() == clinic::Dialect::SQLite)
            CPPUNIT_ASSERT_EQUAL(
                std::string("CREATE TABLE x (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, data BLOB)"),
                sql);
        else
            // 64 KiB types: POCO's MySQL binding allocates a column's declared maximum per row.
            CPPUNIT_ASSERT_MESSAGE(sql,
                sql.find("ENGINE=InnoDB") != std::string::npos && sql.find("body TEXT") != std::string::npos
                    && sql.find("data BLOB") != std::string::npos && sql.find("LONG") == std::string::npos);
        Poco::Data::Session s = db->session();
        s << sql, now;
    }

    void describeHidesThePassword()
    {
        TempDir dir;
        auto db = openFresh(dir);
        const std::string text = db->describe();
        if (db->dialect() == clinic::Dialect::SQLite) {
            CPPUNIT_ASSERT_EQUAL("SQLite " + db->url().path, text);
        } else {
            CPPUNIT_ASSERT_MESSAGE(text, text.rfind("MariaDB ", 0) == 0);
            CPPUNIT_ASSERT_MESSAGE(
                text, db->url().password.empty() || text.find(db->url().password) == std::string::npos);
        }
    }

    /// After transact() has used a pooled session, a plain write on that
    /// session must commit by itself: another connection sees it at once.
    /// (POCO's MySQL begin() used to leave the session with autocommit off.)
    void aWriteOutsideATransactionIsCommittedAtOnceAfterATransaction()
    {
        TempDir dir;
        clinic::DatabaseOptions options;
        options.url = clinic::test::freshDatabaseUrl(dir.path());
        options.poolMax = 1; // one session: the write reuses the transaction's
        DatabaseImpl db(options);
        createTables(db);
        db.transact([](Transaction& tx) { insertItem(tx, "in-transaction"); });
        {
            Poco::Data::Session s = db.session();
            std::string code = "outside";
            s << "INSERT INTO t_item (code) VALUES (?)", use(code), now;
            DatabaseImpl other(options);
            CPPUNIT_ASSERT_EQUAL(2, countRows(other, "t_item"));
        }
    }

    void longTextRoundTripsSixtyKilobytes()
    {
        TempDir dir;
        auto db = openFresh(dir);
        {
            Poco::Data::Session s = db->session();
            s << db->translate("CREATE TABLE t_text (id ${PK}, body ${LONGTEXT} NOT NULL)${TABLE}"), now;
        }
        std::string body(60000, 'x');
        body.replace(0, 8, "\xc8\x99tart ok"); // UTF-8 survives
        db->transact(
            [&](Transaction& tx) { tx.session() << "INSERT INTO t_text (body) VALUES (?)", use(body), now; });
        std::string back;
        Poco::Data::Session s = db->session();
        s << "SELECT body FROM t_text", into(back), now;
        CPPUNIT_ASSERT_EQUAL(body.size(), back.size());
        CPPUNIT_ASSERT(body == back);
    }

    void deadlockedTransactionIsRunAgainAndBothCommit()
    {
        TempDir dir;
        auto db = openFresh(dir);
        if (db->dialect() == clinic::Dialect::SQLite)
            return; // one writer at a time: SQLite has no deadlock to provoke
        prometheus::Registry registry;
        db->countRetriesIn(registry);
        createTwoRows(*db);
        // Two transactions each lock one row, wait until the other holds its
        // row, then update the other's: InnoDB rolls one back as the victim
        // (1213). Retried attempts find the flags set and do not wait.
        std::atomic<bool> holds[2] = {{false}, {false}};
        std::atomic<int> runs {0};
        std::string failures[2];
        auto worker = [&](int mine) {
            Poco::Int64 own = mine + 1, other = 2 - mine;
            try {
                db->transact([&](Transaction& tx) {
                    ++runs;
                    tx.session() << "UPDATE t_row SET n = n + 1 WHERE id = ?", use(own), now;
                    holds[mine] = true;
                    waitFor(holds[1 - mine]);
                    tx.session() << "UPDATE t_row SET n = n + 10 WHERE id = ?", use(other), now;
                });
            } catch (const std::exception& e) {
                failures[mine] = e.what();
            }
        };
        std::thread first(worker, 0), second(worker, 1);
        first.join();
        second.join();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(failures[0], std::string(), failures[0]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(failures[1], std::string(), failures[1]);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("the victim ran once more", 3, runs.load());
        CPPUNIT_ASSERT_EQUAL(1.0, retriesCounted(registry, "deadlock"));
        // Both committed whole, the victim exactly once.
        Poco::Data::Session s = db->session();
        Poco::Int64 a = 0, b = 0;
        s << "SELECT n FROM t_row WHERE id = 1", into(a), now;
        s << "SELECT n FROM t_row WHERE id = 2", into(b), now;
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(11), a);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(11), b);
    }

    void contentionPastEveryRetryAnswersDatabaseBusy()
    {
        TempDir dir;
        auto db = openFresh(dir);
        prometheus::Registry registry;
        db->countRetriesIn(registry);
        createTables(*db);
        const bool lite = db->dialect() == clinic::Dialect::SQLite;
        int runs = 0, hooks = 0;
        try {
            db->transact([&](Transaction& tx) {
                ++runs;
                insertItem(tx, "a" + std::to_string(runs));
                tx.afterCommit([&] { ++hooks; });
                // What each backend reports for a transaction that lost a lock.
                if (lite)
                    throw Poco::Data::DataException("database is locked");
                throw Poco::Data::DataException("[mysql_stmt_error]: Deadlock found when trying to get "
                                                "lock; try restarting transaction [mysql_stmt_errno]: 1213");
            });
            CPPUNIT_FAIL("transact returned although every attempt failed");
        } catch (const clinic::HttpError& e) {
            CPPUNIT_ASSERT_EQUAL(503, e.status());
            CPPUNIT_ASSERT_EQUAL(std::string("DATABASE_BUSY"), e.code());
            CPPUNIT_ASSERT(e.headers().size() == 1 && e.headers()[0].first == "Retry-After");
        }
        CPPUNIT_ASSERT(runs > 1);
        CPPUNIT_ASSERT_EQUAL(double(runs - 1), retriesCounted(registry, lite ? "busy" : "deadlock"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("no attempt's after-commit hook ran", 0, hooks);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("no attempt's row stayed", 0, countRows(*db, "t_item"));
    }

    void persistentLockWaitTimeoutAnswersDatabaseBusy()
    {
        TempDir dir;
        auto db = openFresh(dir);
        if (db->dialect() == clinic::Dialect::SQLite)
            return; // SQLite's busy timeout is covered above as "busy"
        prometheus::Registry registry;
        db->countRetriesIn(registry);
        createTwoRows(*db);
        // Another session holds row 1 for the whole test.
        Poco::Data::Session holder = db->session();
        holder << "START TRANSACTION", now;
        holder << "UPDATE t_row SET n = 5 WHERE id = 1", now;
        int runs = 0;
        int status = 0;
        try {
            db->transact([&](Transaction& tx) {
                ++runs;
                tx.session() << "SET SESSION innodb_lock_wait_timeout = 1", now;
                tx.session() << "UPDATE t_row SET n = 7 WHERE id = 1", now;
            });
        } catch (const clinic::HttpError& e) {
            status = e.status();
        }
        holder << "ROLLBACK", now;
        CPPUNIT_ASSERT_EQUAL(503, status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE("one more try after the server's whole wait", 2, runs);
        CPPUNIT_ASSERT_EQUAL(1.0, retriesCounted(registry, "lock_wait_timeout"));
    }

    /// SQLite's writer queue: writes that queued while another committed go
    /// in one COMMIT, each in its own savepoint. One refused (a taken key,
    /// answered 409) and one that throws leave nothing behind, never run
    /// their after-commit hooks, and tell their callers; the others commit.
    void aGroupCommitsTogetherAndItsRefusedWritesRollBackAlone()
    {
        TempDir dir;
        auto db = openFresh(dir);
        if (db->dialect() != clinic::Dialect::SQLite)
            return; // InnoDB commits each transaction on its own
        createTables(*db);
        db->transact([](Transaction& tx) { insertItem(tx, "taken"); });
        std::atomic<bool> holding {false}, release {false};
        std::thread first([&] {
            db->transact([&](Transaction& tx) {
                insertItem(tx, "first");
                holding = true;
                waitFor(release);
            });
        });
        CPPUNIT_ASSERT(waitFor(holding));
        const auto before = db->groupCommitFigures();
        std::atomic<int> hooks[4] = {{0}, {0}, {0}, {0}};
        std::string outcome[4];
        auto write = [&](int i) {
            try {
                db->transact([&, i](Transaction& tx) {
                    insertItem(tx, "row-" + std::to_string(i));
                    tx.afterCommit([&, i] { ++hooks[i]; });
                    if (i == 1) {
                        try {
                            insertItem(tx, "taken");
                        } catch (const std::exception& e) {
                            if (!db->isUniqueViolation(e))
                                throw;
                            throw clinic::HttpError(409, "SLOT_TAKEN", "taken");
                        }
                    }
                    if (i == 2)
                        throw std::runtime_error("failed inside its savepoint");
                });
                outcome[i] = "committed";
            } catch (const clinic::HttpError& e) {
                outcome[i] = std::to_string(e.status());
            } catch (const std::exception& e) {
                outcome[i] = e.what();
            }
        };
        std::vector<std::thread> writers;
        for (int i = 0; i < 4; ++i)
            writers.emplace_back(write, i);
        // All four wait in the queue behind the first before it commits.
        CPPUNIT_ASSERT(clinic::test::eventually([&] { return db->queuedWrites() == 4; }));
        release = true;
        first.join();
        for (auto& w : writers)
            w.join();
        CPPUNIT_ASSERT_EQUAL(std::string("committed"), outcome[0]);
        CPPUNIT_ASSERT_EQUAL(std::string("409"), outcome[1]);
        CPPUNIT_ASSERT_EQUAL(std::string("failed inside its savepoint"), outcome[2]);
        CPPUNIT_ASSERT_EQUAL(std::string("committed"), outcome[3]);
        const auto after = db->groupCommitFigures();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            "the first alone, then the four as one group", 2LL, after.commits - before.commits);
        CPPUNIT_ASSERT_EQUAL(5LL, after.writes - before.writes);
        CPPUNIT_ASSERT_EQUAL(1, hooks[0].load());
        CPPUNIT_ASSERT_EQUAL(0, hooks[1].load());
        CPPUNIT_ASSERT_EQUAL(0, hooks[2].load());
        CPPUNIT_ASSERT_EQUAL(1, hooks[3].load());
        CPPUNIT_ASSERT_EQUAL(
            1, clinic::test::scalarOf(*db, "SELECT COUNT(*) FROM t_item WHERE code = 'row-0'"));
        CPPUNIT_ASSERT_EQUAL(
            0, clinic::test::scalarOf(*db, "SELECT COUNT(*) FROM t_item WHERE code = 'row-1'"));
        CPPUNIT_ASSERT_EQUAL(
            0, clinic::test::scalarOf(*db, "SELECT COUNT(*) FROM t_item WHERE code = 'row-2'"));
        CPPUNIT_ASSERT_EQUAL(
            1, clinic::test::scalarOf(*db, "SELECT COUNT(*) FROM t_item WHERE code = 'row-3'"));
        CPPUNIT_ASSERT_EQUAL(4, countRows(*db, "t_item")); // taken, first, row-0, row-3
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DatabaseTest);
