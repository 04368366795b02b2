// Upgrades across the schema's whole history, and refusing a downgrade.
//
// fixtures/first-schema.sqlite was written by the clinicd of the commit
// where the clinic schema first landed (make_fixture.sh says how): the
// current daemon migrates it forward on start, and every row the old
// daemon wrote is still there with the same values in the columns it had,
// readable through today's API. A database whose schema (of the kernel or
// of any plugin) is newer than the binary knows is refused at start, with a
// message naming the stream and both versions.

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <Poco/File.h>

#include "TestSupport.h"

using namespace clinic::test;

namespace {

const std::string kFixture = sourceDir() + "/tests/upgrade/fixtures/first-schema.sqlite";
const std::string kManifest = sourceDir() + "/tests/upgrade/fixtures/first-schema.manifest";
/// Tables whose old rows a start may legitimately remove: none yet.
const std::set<std::string> kPrunedOnStart = {};
const std::string kAllPlugins = "records,scheduling,prescriptions,notifications,example,metrics";

std::string sql(const std::string& db, const std::string& statement)
{
    auto r = runProcess("/usr/bin/sqlite3", {"-bail", db}, {}, statement + "\n", 60);
    if (r.exitCode != 0 || !r.err.empty())
        throw std::runtime_error("sqlite3: " + r.err + " in " + statement);
    return r.out;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

std::vector<std::string> tables(const std::string& db)
{
    return lines(sql(db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name;"));
}

std::vector<std::string> columns(const std::string& db, const std::string& table)
{
    return lines(sql(db, "SELECT name FROM pragma_table_info('" + table + "') ORDER BY cid;"));
}

/// Every row of table, in rowid order, as the quoted values of these columns.
std::string rowsOf(const std::string& db, const std::string& table, const std::vector<std::string>& cols)
{
    std::string select;
    for (const auto& c : cols)
        select += (select.empty() ? "" : " || '|' || ") + std::string("quote(\"") + c + "\")";
    return sql(db, "SELECT " + select + " FROM \"" + table + "\" ORDER BY rowid;");
}

std::map<std::string, int> schemaVersions(const std::string& db)
{
    std::map<std::string, int> out;
    for (const auto& line :
        lines(sql(db, "SELECT owner || ' ' || MAX(version) FROM schema_migrations GROUP BY owner;"))) {
        const auto space = line.find(' ');
        out[line.substr(0, space)] = std::stoi(line.substr(space + 1));
    }
    return out;
}

Daemon::Options onDatabase(const TempDir& work)
{
    Daemon::Options o;
    o.config["plugins.load"] = kAllPlugins;
    o.config["log.level"] = "information";
    o.dataDir = work.file("data");
    o.dbUrl = "sqlite:" + work.file("data") + "/clinicd.db";
    return o;
}

} // namespace

class UpgradeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UpgradeTest);
    CPPUNIT_TEST(firstSchemaMigratesForwardWithEveryRowIntact);
    CPPUNIT_TEST(newerKernelSchemaIsRefusedNamingBothVersions);
    CPPUNIT_TEST(newerPluginSchemaIsRefusedNamingBothVersions);
    CPPUNIT_TEST_SUITE_END();

public:
    void firstSchemaMigratesForwardWithEveryRowIntact()
    {
        TempDir work;
        Poco::File(work.file("data")).createDirectories();
        const std::string db = work.file("data") + "/clinicd.db";
        Poco::File(kFixture).copyTo(db);

        // The fixture is what its manifest says it is: rows per table.
        std::map<std::string, std::string> rowsBefore;
        std::map<std::string, std::vector<std::string>> columnsBefore;
        std::size_t manifestTables = 0;
        for (const auto& line : lines(readFile(kManifest))) {
            if (line.empty() || line[0] == '#')
                continue;
            const auto space = line.find(' ');
            const std::string table = line.substr(0, space);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                table, line.substr(space + 1) + "\n", sql(db, "SELECT COUNT(*) FROM \"" + table + "\";"));
            ++manifestTables;
        }
        const auto before = tables(db);
        CPPUNIT_ASSERT_EQUAL(manifestTables, before.size());
        long long totalRows = 0;
        for (const auto& t : before) {
            columnsBefore[t] = columns(db, t);
            rowsBefore[t] = rowsOf(db, t, columnsBefore[t]);
            totalRows += static_cast<long long>(lines(rowsBefore[t]).size());
        }
        CPPUNIT_ASSERT_MESSAGE("the fixture holds the demo clinic and the API writes", totalRows > 50);
        const auto versionsBefore = schemaVersions(db);

        {
            // The migration alone: started, ready, stopped.
            Daemon d(onDatabase(work));
            auto ready = d.client().get("/health/ready");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body + d.log(), 200, ready.status);
            CPPUNIT_ASSERT_EQUAL(0, d.stop());
        }

        // Every stream is at least where it was, and there are new ones.
        const auto versionsAfter = schemaVersions(db);
        for (const auto& [owner, version] : versionsBefore) {
            CPPUNIT_ASSERT_MESSAGE(owner, versionsAfter.count(owner));
            CPPUNIT_ASSERT_MESSAGE(owner, versionsAfter.at(owner) >= version);
        }
        CPPUNIT_ASSERT(versionsAfter.size() > versionsBefore.size());

        // Every old row, in every old column, exactly as the old daemon left
        // it; rows the new daemon wrote on its first start come after them.
        for (const auto& t : before) {
            if (kPrunedOnStart.count(t))
                continue;
            const auto after = columns(db, t);
            for (const auto& c : columnsBefore[t])
                CPPUNIT_ASSERT_MESSAGE(
                    t + "." + c + " is gone", std::find(after.begin(), after.end(), c) != after.end());
            const std::string now = rowsOf(db, t, columnsBefore[t]);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(t + ": rows changed by the upgrade", rowsBefore[t],
                now.substr(0, std::min(now.size(), rowsBefore[t].size())));
        }

        // Readable and writable through today's API.
        Daemon d(onDatabase(work));
        auto login = d.client().post(
            "/api/v1/auth/login", R"({"username":"fixture.admin","password":"fixture-admin-password-1"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(login.body, 200, login.status);
        auto admin = d.adminClient();
        auto patient = admin.get("/api/v1/patients/1");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patient.body, 200, patient.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Ștefan"), patient.json()->getValue<std::string>("first_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu"), patient.json()->getValue<std::string>("last_name"));
        auto encounters = admin.get("/api/v1/patients/1/encounters");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(encounters.body, 200, encounters.status);
        CPPUNIT_ASSERT(encounters.body.find("Hipertensiune esențială") != std::string::npos);
        auto timeOff = admin.get("/api/v1/doctors/1/time-off");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(timeOff.body, 200, timeOff.status);
        CPPUNIT_ASSERT(timeOff.body.find("Concediu") != std::string::npos);
        auto created = admin.post("/api/v1/patients",
            R"({"first_name":"Nou","last_name":"Pacient","birth_date":"2000-01-01","sex":"female","phone":"+40 721 000 099","force":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        CPPUNIT_ASSERT(created.json()->getValue<Poco::Int64>("id") > 3);
    }

    void newerKernelSchemaIsRefusedNamingBothVersions() { refusesNewer("kernel"); }

    void newerPluginSchemaIsRefusedNamingBothVersions() { refusesNewer("scheduling"); }

private:
    /// A current database with owner's schema one step past this build:
    /// clinicd exits at start naming owner and both versions.
    void refusesNewer(const std::string& owner)
    {
        TempDir work;
        const std::string db = work.file("data") + "/clinicd.db";
        {
            Daemon d(onDatabase(work));
            CPPUNIT_ASSERT_EQUAL(0, d.stop());
        }
        const int known = schemaVersions(db).at(owner);
        sql(db,
            "INSERT INTO schema_migrations (owner, version, description, applied_at) VALUES ('" + owner
                + "', " + std::to_string(known + 1) + ", 'from a newer clinicd', 0);");
        auto options = onDatabase(work);
        options.waitLive = false;
        Daemon d(options);
        const int code = d.waitExit(60);
        const std::string log = d.log();
        CPPUNIT_ASSERT_MESSAGE(log, code != 0 && code != -1);
        const std::string expected = "the database schema of " + owner + " is at version "
            + std::to_string(known + 1) + " but this build knows only up to " + std::to_string(known);
        CPPUNIT_ASSERT_MESSAGE(log, log.find(expected) != std::string::npos);
        // Nothing was migrated or served: the newer row is still the last.
        CPPUNIT_ASSERT_EQUAL(known + 1, schemaVersions(db).at(owner));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UpgradeTest);
