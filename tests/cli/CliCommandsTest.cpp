// clinicctl through the real binary on the backend under test: migrate,
// check-config (against clinicd --check-config), user add, seed-demo and
// backup's answer on MariaDB.

#include <cppunit/extensions/HelperMacros.h>

#include <regex>

#include <Poco/Data/Session.h>
#include <Poco/File.h>

#include "CliSupport.h"
#include "auth/PasswordHasher.h"
#include "auth/UserStore.h"
#include "db/DatabaseImpl.h"

using namespace clinic::test;
using namespace Poco::Data::Keywords;

namespace {

const std::string kPassword = "Tr0ub4dor&3-horse-staple";

std::unique_ptr<clinic::DatabaseImpl> openDatabase(const std::string& url)
{
    clinic::DatabaseOptions options;
    options.url = url;
    options.poolMax = 2;
    return std::make_unique<clinic::DatabaseImpl>(options);
}

int schemaRows(const std::string& url)
{
    auto db = openDatabase(url);
    Poco::Data::Session s = db->session();
    int rows = 0;
    s << "SELECT COUNT(*) FROM schema_migrations", into(rows), now;
    return rows;
}

/// The version a "OWNER: schema version N (...)" line reports, or -1.
int reportedVersion(const std::string& out, const std::string& owner, std::string* note = nullptr)
{
    std::smatch m;
    std::regex line("(^|\n)" + owner + ": schema version ([0-9]+) \\(([^)]*)\\)");
    if (!std::regex_search(out, m, line))
        return -1;
    if (note)
        *note = m[3];
    return std::stoi(m[2]);
}

} // namespace

class CliCommandsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliCommandsTest);
    CPPUNIT_TEST(migrateOnAFreshDatabasePrintsEachOwnersVersion);
    CPPUNIT_TEST(migrateTwiceChangesNothingTheSecondTime);
    CPPUNIT_TEST(checkConfigOnAGoodConfigurationMatchesClinicd);
    CPPUNIT_TEST(checkConfigOnABadValueNamesTheKeyWithClinicdsExitCode);
    CPPUNIT_TEST(userAddCreatesAnAccountWithAVerifiableScryptHash);
    CPPUNIT_TEST(userAddRefusesADuplicateUsername);
    CPPUNIT_TEST(userAddRefusesAnUnknownRole);
    CPPUNIT_TEST(userAddRefusesAWeakPassword);
    CPPUNIT_TEST(userAddRefusesEmptyStandardInput);
    CPPUNIT_TEST(userAddRequiresPasswordStdin);
    CPPUNIT_TEST(seedDemoWithoutASchedulingPluginSaysSoAndSucceeds);
    CPPUNIT_TEST(backupOnMariaDbPointsToMariadbDump);
    CPPUNIT_TEST_SUITE_END();

public:
    void migrateOnAFreshDatabasePrintsEachOwnersVersion()
    {
        CliSetup setup;
        auto r = setup.ctl({"migrate"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 0, r.exitCode);
        std::string note;
        CPPUNIT_ASSERT_MESSAGE(shown(r), reportedVersion(r.out, "kernel", &note) >= 2);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), std::string("was 0"), note);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 1, reportedVersion(r.out, "example", &note));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), std::string("was 0"), note);
        CPPUNIT_ASSERT_MESSAGE(shown(r), std::regex_search(r.out, std::regex("migrated: [0-9]+ migration")));
    }

    void migrateTwiceChangesNothingTheSecondTime()
    {
        CliSetup setup;
        auto first = setup.ctl({"migrate"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(first), 0, first.exitCode);
        const int rows = schemaRows(setup.dbUrl());
        auto second = setup.ctl({"migrate"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(second), 0, second.exitCode);
        std::string note;
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(second), reportedVersion(first.out, "kernel"),
            reportedVersion(second.out, "kernel", &note));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(second), std::string("up to date"), note);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(second), 1, reportedVersion(second.out, "example", &note));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(second), std::string("up to date"), note);
        CPPUNIT_ASSERT_MESSAGE(shown(second), contains(second.out, "up to date: nothing to apply"));
        CPPUNIT_ASSERT_EQUAL(rows, schemaRows(setup.dbUrl()));
    }

    void checkConfigOnAGoodConfigurationMatchesClinicd()
    {
        CliSetup setup;
        CPPUNIT_ASSERT_EQUAL(0, setup.ctl({"migrate"}).exitCode);
        auto ctl = setup.ctl({"check-config"});
        auto daemon = runProcess(binary("clinicd"), {"--config=" + setup.config(), "--check-config"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(ctl), 0, ctl.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(ctl), contains(ctl.out, "plugin example 1.0.0: ok"));
        CPPUNIT_ASSERT_MESSAGE(shown(ctl), contains(ctl.out, "configuration ok"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(daemon), daemon.exitCode, ctl.exitCode);
        CPPUNIT_ASSERT_EQUAL(daemon.out, ctl.out);
    }

    void checkConfigOnABadValueNamesTheKeyWithClinicdsExitCode()
    {
        CliSetup setup;
        for (const std::string define :
            {"http.port=70000", "db.url=postgres://nowhere/db", "log.level=loud"}) {
            const std::string key = define.substr(0, define.find('='));
            auto ctl = setup.ctl({"-D", define, "check-config"});
            auto daemon = runProcess(
                binary("clinicd"), {"--config=" + setup.config(), "-D", define, "--check-config"});
            CPPUNIT_ASSERT_MESSAGE(shown(ctl), ctl.exitCode != 0);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(daemon) + shown(ctl), daemon.exitCode, ctl.exitCode);
            CPPUNIT_ASSERT_MESSAGE(shown(ctl), contains(ctl.out, "error: " + key + ": "));
            CPPUNIT_ASSERT_EQUAL(daemon.out, ctl.out);
        }
    }

    void userAddCreatesAnAccountWithAVerifiableScryptHash()
    {
        CliSetup setup;
        auto r = setup.ctl({"user", "add", "--username", "Nurse.Joy", "--role", "nurse", "--password-stdin"},
            kPassword + "\n");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 0, r.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(r),
            std::regex_match(r.out, std::regex("created user nurse\\.joy \\(role nurse, id [0-9]+\\)\n")));
        CPPUNIT_ASSERT_MESSAGE("the password was printed", !contains(r.out + r.err, kPassword));

        auto patient = setup.ctl(
            {"user", "add", "--username=pat-ion", "--role=patient", "--patient-id=42", "--password-stdin"},
            kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(patient), 0, patient.exitCode);

        auto db = openDatabase(setup.dbUrl());
        clinic::UserStore users(*db);
        auto joy = users.findByUsername("nurse.joy");
        CPPUNIT_ASSERT(joy.has_value());
        CPPUNIT_ASSERT_EQUAL(std::string("nurse"), joy->role);
        CPPUNIT_ASSERT(joy->active);
        CPPUNIT_ASSERT(!joy->patientId && !joy->doctorId);
        CPPUNIT_ASSERT(joy->passwordHash != kPassword);
        CPPUNIT_ASSERT(!contains(joy->passwordHash, kPassword));
        CPPUNIT_ASSERT_EQUAL(0, joy->passwordHash.compare(0, 16, "$scrypt$ln=15,r="));
        clinic::PasswordHasher hasher;
        CPPUNIT_ASSERT(hasher.verify(kPassword, joy->passwordHash));
        CPPUNIT_ASSERT(!hasher.verify(kPassword + "x", joy->passwordHash));

        auto ion = users.findByUsername("pat-ion");
        CPPUNIT_ASSERT(ion.has_value());
        CPPUNIT_ASSERT(ion->patientId && *ion->patientId == 42);
        CPPUNIT_ASSERT(ion->passwordHash != joy->passwordHash);
    }

    void userAddRefusesADuplicateUsername()
    {
        CliSetup setup;
        const std::vector<std::string> add
            = {"user", "add", "--username", "admin", "--role", "admin", "--password-stdin"};
        CPPUNIT_ASSERT_EQUAL(0, setup.ctl(add, kPassword + "\n").exitCode);
        auto again = setup.ctl(
            {"user", "add", "--username", "ADMIN", "--role", "doctor", "--password-stdin"}, kPassword + "\n");
        CPPUNIT_ASSERT_MESSAGE(shown(again), again.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(again), contains(again.err, "username admin is already taken"));
        CPPUNIT_ASSERT_MESSAGE("the password was printed", !contains(again.out + again.err, kPassword));
    }

    void userAddRefusesAnUnknownRole()
    {
        CliSetup setup;
        auto r = setup.ctl(
            {"user", "add", "--username", "boss", "--role", "chief", "--password-stdin"}, kPassword + "\n");
        CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "role \"chief\" is not one of admin, doctor"));
        CPPUNIT_ASSERT_MESSAGE("the password was printed", !contains(r.out + r.err, kPassword));
    }

    void userAddRefusesAWeakPassword()
    {
        CliSetup setup;
        const std::vector<std::pair<std::string, std::string>> weak = {
            {"short1", "shorter than 10 characters"},
            {"zzzzzzzzzzzzzzzz", "one character repeated"},
            {"receptionist1", "the password is the username"},
            {std::string(1025, 'a') + "b", "longer than 1024 bytes"},
        };
        for (const auto& [password, reason] : weak) {
            auto r = setup.ctl(
                {"user", "add", "--username", "receptionist1", "--role", "receptionist", "--password-stdin"},
                password + "\n");
            CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
            CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "weak password: "));
            CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, reason));
            CPPUNIT_ASSERT_MESSAGE("the password was printed", !contains(r.out + r.err, password));
        }
    }

    void userAddRefusesEmptyStandardInput()
    {
        CliSetup setup;
        for (const std::string input : {"", "\n"}) {
            auto r = setup.ctl(
                {"user", "add", "--username", "doc", "--role", "doctor", "--password-stdin"}, input);
            CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
            CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "no password on standard input"));
        }
    }

    void userAddRequiresPasswordStdin()
    {
        CliSetup setup;
        auto r = setup.ctl({"user", "add", "--username", "doc", "--role", "doctor"}, kPassword + "\n");
        CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "--password-stdin"));
    }

    void seedDemoWithoutASchedulingPluginSaysSoAndSucceeds()
    {
        CliSetup setup;
        auto r = setup.ctl({"seed-demo", "--dir=" + sourceDir() + "/data/demo"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 0, r.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(r),
            contains(
                r.out, "no loaded plugin takes demo data (the scheduling plugin loads the demo clinic)"));
    }

    void backupOnMariaDbPointsToMariadbDump()
    {
        CliSetup setup;
        // On the sqlite run, a MariaDB URL nobody listens on: the backup of
        // documents and key needs no connection, and the database part is
        // named as not included, with the tool that makes it.
        std::vector<std::string> args;
        if (backend() != "mariadb")
            args = {"-D", "db.url=mysql://clinicd:secret@127.0.0.1:1/clinicd"};
        const std::string target = setup.dir().file("backup");
        args.insert(args.end(), {"backup", target});
        auto r = setup.ctl(args);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 0, r.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.out, "NOT included"));
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.out, "mariadb-dump --single-transaction"));
        CPPUNIT_ASSERT(Poco::File(target + "/MANIFEST").exists());
        CPPUNIT_ASSERT(!Poco::File(target + "/clinicd.db").exists());
        CPPUNIT_ASSERT(!contains(r.out + r.err + readFile(target + "/MANIFEST"), "secret"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliCommandsTest);
