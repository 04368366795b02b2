// Migrator on the backend under test: versioned steps per owner, applied in
// order once, a failing step rolled back without its record, and refusal of
// malformed lists and of databases newer than the code.

#include <stdexcept>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include "FreshDatabase.h"
#include "db/Migrator.h"

using namespace Poco::Data::Keywords;
using clinic::DatabaseImpl;
using clinic::Migration;
using clinic::Migrator;
using clinic::Transaction;
using clinic::test::TempDir;

namespace {

std::unique_ptr<DatabaseImpl> openFresh(TempDir& dir)
{
    return clinic::test::openFreshDatabase(dir);
}

int count(DatabaseImpl& db, const std::string& sql)
{
    return clinic::test::scalarOf(db, sql);
}

bool tableExists(DatabaseImpl& db, const std::string& table)
{
    if (db.dialect() == clinic::Dialect::SQLite)
        return count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'")
            == 1;
    return count(db,
               "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
               "table_name = '"
                   + table + "'")
        == 1;
}

std::string messageOf(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no exception)";
}

/// Three steps where each needs the one before it: a table, a row in it, and
/// a code step that fails unless that row is there.
std::vector<Migration> orderedSteps()
{
    return {
        {1, "visits table",
            {"CREATE TABLE m_visits (id BIGINT NOT NULL PRIMARY KEY, note VARCHAR(40) NOT NULL)${TABLE}"}},
        {2, "first visit", {"INSERT INTO m_visits (id, note) VALUES (1, 'first')"}},
        {3, "second visit after the first", {},
            [](Transaction& tx) {
                int first = 0;
                tx.session() << "SELECT COUNT(*) FROM m_visits WHERE id = 1", into(first), now;
                if (first != 1)
                    throw std::runtime_error("step 3 ran before step 2");
                tx.session() << "INSERT INTO m_visits (id, note) VALUES (2, 'second')", now;
            }},
    };
}

} // namespace

class MigratorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MigratorTest);
    CPPUNIT_TEST(prepareIsIdempotent);
    CPPUNIT_TEST(appliesEveryStepInVersionOrder);
    CPPUNIT_TEST(secondRunAppliesNothing);
    CPPUNIT_TEST(laterRunAppliesOnlyTheNewSteps);
    CPPUNIT_TEST(versionsAreKeptPerOwner);
    CPPUNIT_TEST(failingStepIsNotRecordedAndLeavesItsRowsOut);
    CPPUNIT_TEST(failingDdlStepIsNotRecordedAndOnSqliteLeavesNoTable);
    CPPUNIT_TEST(failingCodeStepRollsBackItsStatements);
    CPPUNIT_TEST(failedRunCanBeRetriedOnceTheStepIsFixed);
    CPPUNIT_TEST(nonRisingVersionsAreRefusedBeforeAnythingRuns);
    CPPUNIT_TEST(databaseNewerThanTheCodeIsRefused);
    CPPUNIT_TEST(pendingCountsStepsNotYetApplied);
    CPPUNIT_TEST_SUITE_END();

public:
    void prepareIsIdempotent()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        migrator.prepare();
        CPPUNIT_ASSERT(tableExists(*db, "schema_migrations"));
        CPPUNIT_ASSERT(migrator.versions().empty());
        CPPUNIT_ASSERT_EQUAL(0, migrator.currentVersion("records"));
    }

    void appliesEveryStepInVersionOrder()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        CPPUNIT_ASSERT_EQUAL(3, migrator.apply("visits", orderedSteps()));
        CPPUNIT_ASSERT_EQUAL(3, migrator.currentVersion("visits"));
        CPPUNIT_ASSERT_EQUAL(2, count(*db, "SELECT COUNT(*) FROM m_visits"));
        CPPUNIT_ASSERT_EQUAL(3, count(*db, "SELECT COUNT(*) FROM schema_migrations WHERE owner = 'visits'"));
    }

    void secondRunAppliesNothing()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        migrator.apply("visits", orderedSteps());
        CPPUNIT_ASSERT_EQUAL(0, migrator.apply("visits", orderedSteps()));
        CPPUNIT_ASSERT_EQUAL(0, Migrator(*db).apply("visits", orderedSteps()));
        CPPUNIT_ASSERT_EQUAL(2, count(*db, "SELECT COUNT(*) FROM m_visits"));
        CPPUNIT_ASSERT_EQUAL(3, count(*db, "SELECT COUNT(*) FROM schema_migrations WHERE owner = 'visits'"));
    }

    void laterRunAppliesOnlyTheNewSteps()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        auto steps = orderedSteps();
        steps.pop_back();
        CPPUNIT_ASSERT_EQUAL(2, migrator.apply("visits", steps));
        // Version numbers may skip: 3 is missing here, 5 follows 2.
        steps.push_back({5, "third visit", {"INSERT INTO m_visits (id, note) VALUES (3, 'third')"}});
        CPPUNIT_ASSERT_EQUAL(1, migrator.apply("visits", steps));
        CPPUNIT_ASSERT_EQUAL(5, migrator.currentVersion("visits"));
        CPPUNIT_ASSERT_EQUAL(2, count(*db, "SELECT COUNT(*) FROM m_visits"));
    }

    void versionsAreKeptPerOwner()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        migrator.apply("visits", orderedSteps());
        CPPUNIT_ASSERT_EQUAL(1,
            migrator.apply("notes",
                {{1, "notes table", {"CREATE TABLE m_notes (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}}}));
        auto versions = migrator.versions();
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), versions.size());
        CPPUNIT_ASSERT_EQUAL(3, versions["visits"]);
        CPPUNIT_ASSERT_EQUAL(1, versions["notes"]);
    }

    void failingStepIsNotRecordedAndLeavesItsRowsOut()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        std::vector<Migration> steps = {
            {1, "visits table",
                {"CREATE TABLE m_visits (id BIGINT NOT NULL PRIMARY KEY, note VARCHAR(40) NOT "
                 "NULL)${TABLE}"}},
            {2, "half a step", {"INSERT INTO m_visits (id, note) VALUES (1, 'half')", "NOT VALID SQL"}},
            {3, "never reached", {"INSERT INTO m_visits (id, note) VALUES (3, 'never')"}},
        };
        const std::string why = messageOf([&] { migrator.apply("visits", steps); });
        CPPUNIT_ASSERT_MESSAGE(why, why.find("visits migration 2 (half a step) failed") == 0);
        CPPUNIT_ASSERT_EQUAL(1, migrator.currentVersion("visits"));
        CPPUNIT_ASSERT_EQUAL(0, count(*db, "SELECT COUNT(*) FROM m_visits"));
    }

    void failingDdlStepIsNotRecordedAndOnSqliteLeavesNoTable()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        std::vector<Migration> steps = {
            {1, "two tables, one bad",
                {"CREATE TABLE m_first (id BIGINT NOT NULL PRIMARY KEY)${TABLE}",
                    "CREATE TABLE m_second (id NOT SQL"}},
        };
        const std::string why = messageOf([&] { migrator.apply("tables", steps); });
        CPPUNIT_ASSERT_MESSAGE(why, why.find("tables migration 1 (two tables, one bad) failed") == 0);
        CPPUNIT_ASSERT_EQUAL(0, migrator.currentVersion("tables"));
        // SQLite's DDL is transactional. MariaDB commits each DDL statement
        // implicitly, so there the first table stays; what holds on both is
        // that the step is not recorded and runs again next time.
        if (db->dialect() == clinic::Dialect::SQLite)
            CPPUNIT_ASSERT(!tableExists(*db, "m_first"));
        CPPUNIT_ASSERT(!tableExists(*db, "m_second"));
    }

    void failingCodeStepRollsBackItsStatements()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        std::vector<Migration> steps = {
            {1, "visits table",
                {"CREATE TABLE m_visits (id BIGINT NOT NULL PRIMARY KEY, note VARCHAR(40) NOT "
                 "NULL)${TABLE}"}},
            {2, "backfill", {"INSERT INTO m_visits (id, note) VALUES (1, 'statement')"},
                [](Transaction&) { throw std::runtime_error("backfill found bad data"); }},
        };
        const std::string why = messageOf([&] { migrator.apply("visits", steps); });
        CPPUNIT_ASSERT_MESSAGE(
            why, why.find("visits migration 2 (backfill) failed: backfill found bad data") == 0);
        CPPUNIT_ASSERT_EQUAL(1, migrator.currentVersion("visits"));
        CPPUNIT_ASSERT_EQUAL(0, count(*db, "SELECT COUNT(*) FROM m_visits"));
    }

    void failedRunCanBeRetriedOnceTheStepIsFixed()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        auto steps = orderedSteps();
        steps[1].statements = {"INSERT INTO m_visits (id, note) VALUES (1, 'first')", "BROKEN"};
        CPPUNIT_ASSERT_THROW(migrator.apply("visits", steps), std::runtime_error);
        CPPUNIT_ASSERT_EQUAL(2, migrator.apply("visits", orderedSteps()));
        CPPUNIT_ASSERT_EQUAL(3, migrator.currentVersion("visits"));
        CPPUNIT_ASSERT_EQUAL(2, count(*db, "SELECT COUNT(*) FROM m_visits"));
    }

    void nonRisingVersionsAreRefusedBeforeAnythingRuns()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        const std::vector<Migration> repeated = {
            {1, "a", {"CREATE TABLE m_a (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}},
            {1, "b", {"CREATE TABLE m_b (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}},
        };
        CPPUNIT_ASSERT_THROW(migrator.apply("dup", repeated), std::invalid_argument);
        const std::vector<Migration> falling = {
            {2, "a", {"CREATE TABLE m_a (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}},
            {1, "b", {"CREATE TABLE m_b (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}},
        };
        const std::string why = messageOf([&] { migrator.apply("dup", falling); });
        CPPUNIT_ASSERT_MESSAGE(why, why.find("dup: migration versions must rise (1 after 2)") == 0);
        const std::vector<Migration> zero
            = {{0, "zero", {"CREATE TABLE m_a (id BIGINT NOT NULL PRIMARY KEY)${TABLE}"}}};
        CPPUNIT_ASSERT_THROW(migrator.apply("dup", zero), std::invalid_argument);
        CPPUNIT_ASSERT(!tableExists(*db, "m_a"));
        CPPUNIT_ASSERT_EQUAL(0, migrator.currentVersion("dup"));
    }

    void databaseNewerThanTheCodeIsRefused()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        migrator.apply("visits", orderedSteps());
        auto older = orderedSteps();
        older.pop_back();
        const std::string why = messageOf([&] { migrator.apply("visits", older); });
        CPPUNIT_ASSERT_MESSAGE(why,
            why.find("the database schema of visits is at version 3 but this build knows only up to 2") == 0);
        CPPUNIT_ASSERT(why.find("refusing") != std::string::npos);
        const std::string none = messageOf([&] { migrator.apply("visits", {}); });
        CPPUNIT_ASSERT_MESSAGE(
            none, none.find("is at version 3 but this build knows only up to 0") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(3, migrator.currentVersion("visits"));
    }

    void pendingCountsStepsNotYetApplied()
    {
        TempDir dir;
        auto db = openFresh(dir);
        Migrator migrator(*db);
        migrator.prepare();
        CPPUNIT_ASSERT_EQUAL(3, migrator.pending("visits", orderedSteps()));
        auto steps = orderedSteps();
        steps.pop_back();
        migrator.apply("visits", steps);
        CPPUNIT_ASSERT_EQUAL(1, migrator.pending("visits", orderedSteps()));
        migrator.apply("visits", orderedSteps());
        CPPUNIT_ASSERT_EQUAL(0, migrator.pending("visits", orderedSteps()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MigratorTest);
