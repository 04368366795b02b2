// clinicctl backup and restore of everything a clinic loses with its server:
// the database, the uploaded documents and the token signing key. After a
// restore the daemon serves the old documents and the old tokens still work.

#include <cppunit/extensions/HelperMacros.h>

#include <fstream>

#include <Poco/File.h>

#include "CliSupport.h"

using namespace clinic::test;

namespace {

const std::string kPassword = "restore-test-password-1";

struct SignedIn {
    std::string access;
    std::string refresh;
};

SignedIn signIn(Daemon& daemon)
{
    auto r = daemon.client().post(
        "/api/v1/auth/login", R"({"username":"harness.admin","password":"harness-admin-password-1"})");
    if (r.status != 200)
        throw std::runtime_error("login: " + r.body);
    return {
        r.json()->getValue<std::string>("access_token"), r.json()->getValue<std::string>("refresh_token")};
}

std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

/// Uploads a PDF for the patient; returns the document's path.
std::string upload(HttpClient& admin, std::int64_t patient, const std::string& text)
{
    const std::string base = "/api/v1/patients/" + std::to_string(patient) + "/documents";
    auto r = admin.request("POST", base + "?filename=" + text + ".pdf&kind=report",
        "%PDF-1.7\n" + text + "\n%%EOF\n", {}, "application/pdf");
    if (r.status != 201)
        throw std::runtime_error("upload: " + r.body);
    return base + "/" + std::to_string(r.json()->getValue<Poco::Int64>("id"));
}

Daemon::Options recordsDaemon(const std::string& dataDir = "", const std::string& dbUrl = "")
{
    Daemon::Options o;
    o.config["plugins.load"] = "records";
    o.config["log.level"] = "warning";
    o.dataDir = dataDir;
    o.dbUrl = dbUrl;
    return o;
}

} // namespace

class CliRestoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliRestoreTest);
    CPPUNIT_TEST(restoreBringsBackDocumentsAndKeepsTokensValid);
    CPPUNIT_TEST(restoreRefusesADamagedBackupAndChangesNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void restoreBringsBackDocumentsAndKeepsTokensValid()
    {
        Daemon first(recordsDaemon());
        auto admin = first.adminClient();
        auto r = admin.post("/api/v1/patients",
            R"({"first_name":"Ana","last_name":"Restore","birth_date":"1990-05-17","sex":"female","phone":"0721 555 123"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const auto patient = r.json()->getValue<Poco::Int64>("id");
        const std::string kept = upload(admin, patient, "before-backup");
        const SignedIn old = signIn(first);

        TempDir out;
        const std::string backup = out.file("backup");
        auto made = CliSetup::clinicctl(first.configFile(), {"backup", backup});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(made), 0, made.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(made), contains(made.out, "documents: 1 file(s)"));
        CPPUNIT_ASSERT_MESSAGE(shown(made), contains(made.out, "token signing key: "));

        // While the daemon runs, a restore is refused and touches nothing.
        auto refused = CliSetup::clinicctl(first.configFile(), {"restore", backup});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(refused), 75, refused.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(refused), contains(refused.err, "clinicd is running"));
        CPPUNIT_ASSERT_EQUAL(200, first.client().get(kept + "/content", bearer(old.access)).status);

        // Changes after the backup, then the losses a dead disk brings: the
        // documents and the signing key (a new one would sign everybody out).
        const std::string later = upload(admin, patient, "after-backup");
        CPPUNIT_ASSERT_EQUAL(0, first.stop());
        Poco::File(first.dataDir() + "/documents").remove(true);
        Poco::File(first.dataDir() + "/jwt.key").remove();

        auto restored = CliSetup::clinicctl(first.configFile(), {"restore", backup});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(restored), 0, restored.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(restored), contains(restored.out, "integrity_check: ok"));
        CPPUNIT_ASSERT_MESSAGE(shown(restored), contains(restored.out, ".pre-restore-"));
        std::cout << "\n" << restored.out;

        Daemon second(recordsDaemon(first.dataDir(), first.dbUrl()));
        auto content = second.client().get(kept + "/content", bearer(old.access));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(content.body, 200, content.status);
        CPPUNIT_ASSERT(contains(content.body, "before-backup"));
        // The database is the backup's: the later upload is not in it.
        CPPUNIT_ASSERT_EQUAL(404, second.client().get(later, bearer(old.access)).status);
        auto refreshed
            = second.client().post("/api/v1/auth/refresh", "{\"refresh_token\":\"" + old.refresh + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refreshed.body, 200, refreshed.status);
    }

    void restoreRefusesADamagedBackupAndChangesNothing()
    {
        CliSetup setup;
        CPPUNIT_ASSERT_EQUAL(0, setup.ctl({"migrate"}).exitCode);
        const std::string backup = setup.dir().file("backup");
        CPPUNIT_ASSERT_EQUAL(0, setup.ctl({"backup", backup}).exitCode);
        const std::string live = setup.dbUrl().substr(std::string("sqlite:").size());
        const std::string before = readFile(live);

        // Garbage over the second page onwards: the header still says SQLite.
        {
            std::fstream f(backup + "/clinicd.db", std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(4096);
            const std::string junk(8192, '\x5a');
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
        auto r = setup.ctl({"restore", backup});
        CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "nothing was changed"));
        CPPUNIT_ASSERT(readFile(live) == before);
        std::vector<std::string> names;
        Poco::File(setup.dir().path()).list(names);
        for (const auto& n : names)
            CPPUNIT_ASSERT_MESSAGE(n, !contains(n, "restore-tmp") && !contains(n, "pre-restore"));

        auto notABackup = setup.ctl({"restore", setup.dir().file("data")});
        CPPUNIT_ASSERT_MESSAGE(shown(notABackup), notABackup.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(notABackup), contains(notABackup.err, "MANIFEST"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliRestoreTest);
