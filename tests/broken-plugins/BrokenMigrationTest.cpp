// A plugin whose second migration runs invalid SQL, through the real clinicd
// on both backends: the plugin fails naming the migration, nothing of that
// migration stays applied, and the daemon keeps serving the rest.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/Session.h>

#include "PluginChecks.h"
#include "TestSupport.h"
#include "db/DatabaseImpl.h"

using namespace clinic::test;
using namespace Poco::Data::Keywords;

class BrokenMigrationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BrokenMigrationTest);
    CPPUNIT_TEST(failingMigrationFailsItsPluginNamingTheVersionAndLeavesNothingApplied);
    CPPUNIT_TEST_SUITE_END();

public:
    void failingMigrationFailsItsPluginNamingTheVersionAndLeavesNothingApplied()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,broken_bad_migration";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(client, "broken_bad_migration", "migrations threw");
        assertPluginFailed(client, "broken_bad_migration",
            "broken_bad_migration migration 2 (broken_bad_migration half a step)");
        assertNotReadyBecauseOf(client, {"broken_bad_migration"});

        clinic::DatabaseOptions dbOptions;
        dbOptions.url = d.dbUrl();
        dbOptions.poolMax = 2;
        clinic::DatabaseImpl db(dbOptions);
        Poco::Data::Session s = db.session();
        std::string owner = "broken_bad_migration";
        std::vector<int> versions;
        s << "SELECT version FROM schema_migrations WHERE owner = ? ORDER BY version", use(owner),
            into(versions), now;
        CPPUNIT_ASSERT_EQUAL_MESSAGE("only migration 1 is recorded", std::size_t(1), versions.size());
        CPPUNIT_ASSERT_EQUAL(1, versions.front());
        // Migration 2 wrote a row before its bad statement: rolled back with it.
        int rows = -1;
        s << "SELECT COUNT(*) FROM broken_bad_migration_marks", into(rows), now;
        CPPUNIT_ASSERT_EQUAL(0, rows);
        // The example plugin's migration went through.
        owner = "example";
        int exampleVersion = 0;
        s << "SELECT MAX(version) FROM schema_migrations WHERE owner = ?", use(owner), into(exampleVersion),
            now;
        CPPUNIT_ASSERT_EQUAL(1, exampleVersion);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BrokenMigrationTest);
