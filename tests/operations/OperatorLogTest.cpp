// The lines an operator reads in journalctl: each at its own priority (a
// start failure is critical, never an emergency journald would broadcast to
// every terminal), each naming the client and the signed-in user of the
// request it was logged for, and never a password.

#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <regex>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>

#include "TestSupport.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// The log lines that contain part.
std::vector<std::string> linesWith(const std::string& log, const std::string& part)
{
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < log.size()) {
        const std::size_t end = log.find('\n', at);
        const std::string line = log.substr(at, end == std::string::npos ? std::string::npos : end - at);
        if (has(line, part))
            out.push_back(line);
        if (end == std::string::npos)
            break;
        at = end + 1;
    }
    return out;
}

} // namespace

class OperatorLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OperatorLogTest);
    CPPUNIT_TEST(journaldPrioritiesMatchTheLevels);
    CPPUNIT_TEST(requestLinesNameTheClientAndTheUserButNoPassword);
    CPPUNIT_TEST(aStartFailureIsCriticalNotAnEmergency);
    CPPUNIT_TEST(aMisspeltDatabaseDirectoryIsAnErrorNotAFreshDatabase);
    CPPUNIT_TEST(sigtermDuringAStartUpWaitStopsAtOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void journaldPrioritiesMatchTheLevels()
    {
        Daemon::Options o;
        o.config["log.format"] = "journald";
        o.config["log.level"] = "debug";
        Daemon d(o);
        // A 404 is logged at information; the start-up lines too.
        CPPUNIT_ASSERT_EQUAL(404, d.client().get("/no-such-page-for-priorities").status);
        CPPUNIT_ASSERT(eventually([&] { return has(d.log(), "/no-such-page-for-priorities"); }, 5s));
        CPPUNIT_ASSERT_EQUAL(0, d.stop());
        const std::string log = d.log();
        auto notFound = linesWith(log, "/no-such-page-for-priorities");
        CPPUNIT_ASSERT_MESSAGE(log, !notFound.empty());
        CPPUNIT_ASSERT_MESSAGE(notFound.front(), notFound.front().rfind("<6>info ", 0) == 0);
        auto ready = linesWith(log, "ready in");
        CPPUNIT_ASSERT_MESSAGE(log, !ready.empty() && ready.front().rfind("<6>info ", 0) == 0);
        // Every line carries a priority, and none is emerg (0) or alert (1).
        for (const auto& line : linesWith(log, "]")) {
            CPPUNIT_ASSERT_MESSAGE(line, std::regex_search(line, std::regex("^<[2-7]>")));
        }
    }

    void requestLinesNameTheClientAndTheUserButNoPassword()
    {
        Daemon::Options o;
        o.config["log.format"] = "plain";
        o.config["log.level"] = "information";
        Daemon d(o);
        auto admin = d.adminClient();
        CPPUNIT_ASSERT_EQUAL(404, admin.get("/api/v1/users/987654321").status);
        const std::string secret = "Wrong-Horse-Battery-7731";
        auto refused = d.client().post(
            "/api/v1/auth/login", R"({"username":"harness.admin","password":")" + secret + "\"}");
        CPPUNIT_ASSERT_EQUAL(401, refused.status);
        CPPUNIT_ASSERT(eventually([&] { return has(d.log(), "/api/v1/users/987654321"); }, 5s));
        CPPUNIT_ASSERT(eventually([&] { return has(d.log(), "POST /api/v1/auth/login 401"); }, 5s));
        const std::string log = d.log();
        auto seen = linesWith(log, "/api/v1/users/987654321");
        CPPUNIT_ASSERT_MESSAGE(log, !seen.empty());
        CPPUNIT_ASSERT_MESSAGE(seen.front(), has(seen.front(), "client=127.0.0.1 user=harness.admin "));
        // Before sign-in the user is unknown, the client is not.
        auto login = linesWith(log, "POST /api/v1/auth/login 401");
        CPPUNIT_ASSERT_MESSAGE(log, !login.empty());
        CPPUNIT_ASSERT_MESSAGE(login.front(), has(login.front(), "client=127.0.0.1 user=- "));
        CPPUNIT_ASSERT_MESSAGE("a password reached the log", !has(log, secret));
        CPPUNIT_ASSERT_MESSAGE("a password reached the log", !has(log, "harness-admin-password-1"));
        // Outside a request (start-up) no client is named.
        auto ready = linesWith(log, "ready in");
        CPPUNIT_ASSERT(!ready.empty() && !has(ready.front(), "client="));
    }

    void aStartFailureIsCriticalNotAnEmergency()
    {
        TempDir dir;
        Daemon::Options o;
        o.config["log.format"] = "journald";
        o.dbUrl = "sqlite:" + dir.file("missing/typo/clinicd.db");
        o.waitLive = false;
        Daemon d(o);
        const int code = d.waitExit(30);
        CPPUNIT_ASSERT_MESSAGE(d.log(), code != 0 && code != -1);
        auto failed = linesWith(d.log(), "cannot start");
        CPPUNIT_ASSERT_MESSAGE(d.log(), !failed.empty());
        CPPUNIT_ASSERT_MESSAGE(failed.front(), failed.front().rfind("<2>crit ", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(d.log(), !has(d.log(), "<0>") && !has(d.log(), "<1>"));
    }

    void aMisspeltDatabaseDirectoryIsAnErrorNotAFreshDatabase()
    {
        TempDir dir;
        const std::string typo = dir.file("var/lib/clinicdd/clinicd.db");
        Daemon::Options o;
        o.dbUrl = "sqlite:" + typo;
        o.waitLive = false;
        Daemon d(o);
        CPPUNIT_ASSERT_MESSAGE(d.log(), d.waitExit(30) > 0);
        CPPUNIT_ASSERT_MESSAGE(d.log(), has(d.log(), "does not exist"));
        CPPUNIT_ASSERT(!Poco::File(dir.file("var")).exists());

        // --check-config says so before systemd ever starts the daemon.
        auto check = runProcess(binary("clinicd"),
            {"--check-config", "--config=" + d.configFile(), "-D", "db.url=sqlite:" + typo});
        CPPUNIT_ASSERT_MESSAGE(check.out + check.err, check.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(check.out, has(check.out, "cannot create the database"));
        CPPUNIT_ASSERT(!Poco::File(dir.file("var")).exists());
    }

    void sigtermDuringAStartUpWaitStopsAtOnce()
    {
        // A database another program keeps locked: start-up waits on it
        // (here for up to a minute), and systemctl stop must not.
        TempDir dir;
        const std::string path = dir.file("clinicd.db");
        sqlite3* db = nullptr;
        CPPUNIT_ASSERT_EQUAL(SQLITE_OK, sqlite3_open(path.c_str(), &db));
        CPPUNIT_ASSERT_EQUAL(
            SQLITE_OK, sqlite3_exec(db, "CREATE TABLE held(x); BEGIN EXCLUSIVE", nullptr, nullptr, nullptr));
        Daemon::Options o;
        o.dbUrl = "sqlite:" + path;
        o.config["db.busy_timeout_ms"] = "60000";
        o.waitLive = false;
        Daemon d(o);
        CPPUNIT_ASSERT(eventually([&] { return has(d.log(), "starting"); }, 10s));
        std::this_thread::sleep_for(500ms); // into the wait: nothing to poll for
        const auto asked = std::chrono::steady_clock::now();
        d.signal(SIGTERM);
        const int code = d.waitExit(10);
        const auto took = std::chrono::steady_clock::now() - asked;
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(d.log(), 0, code);
        CPPUNIT_ASSERT_MESSAGE(d.log(), took < 3s);
        CPPUNIT_ASSERT_MESSAGE(d.log(), has(d.log(), "during start-up"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OperatorLogTest);
