// clinicctl backup on SQLite while the real clinicd serves a steady stream of
// writes: the copy must be one consistent snapshot, and the daemon must keep
// answering throughout.

#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "CliSupport.h"

using namespace clinic::test;

namespace {

/// A plain SQLite connection beside the daemon's (WAL lets both in).
class SqliteFile {
public:
    explicit SqliteFile(const std::string& path, bool readOnly = true)
    {
        int flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        if (sqlite3_open_v2(path.c_str(), &_db, flags, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(_db));
        sqlite3_busy_timeout(_db, 10000);
    }
    ~SqliteFile() { sqlite3_close_v2(_db); }

    /// The first column of the first row, as text.
    std::string scalar(const std::string& sql)
    {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(_db));
        std::string out;
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
        return out;
    }

    void exec(const std::string& sql)
    {
        char* error = nullptr;
        if (sqlite3_exec(_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string why = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(sql + ": " + why);
        }
    }

private:
    sqlite3* _db = nullptr;
};

std::string sqlitePath(const std::string& dbUrl)
{
    return dbUrl.substr(std::string("sqlite:").size());
}

} // namespace

class CliBackupTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CliBackupTest);
    CPPUNIT_TEST(backupWhileTheDaemonWritesIsOneConsistentSnapshot);
    CPPUNIT_TEST(backupRefusesAnExistingFileWithoutForce);
    CPPUNIT_TEST(backupOfAMissingDatabaseFailsAndLeavesNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void backupWhileTheDaemonWritesIsOneConsistentSnapshot()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example";
        options.config["log.level"] = "warning";
        Daemon daemon(options);
        const std::string live = sqlitePath(daemon.dbUrl());

        // Some thousands of pages, so the copy takes several backup steps and
        // the daemon's writes land between them.
        {
            SqliteFile db(live, false);
            db.exec("BEGIN IMMEDIATE");
            db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
                    " INSERT INTO example_notes (text, created_at) SELECT printf('%0200d', i), 0 FROM n");
            db.exec("COMMIT");
        }

        std::atomic<bool> stop {false};
        std::atomic<int> written {0};
        std::atomic<int> failed {0};
        std::vector<std::thread> writers;
        for (int t = 0; t < 3; ++t)
            writers.emplace_back([&, t] {
                auto client = daemon.client();
                for (int i = 0; !stop; ++i) {
                    try {
                        auto r = client.post("/api/v1/example/notes",
                            "{\"text\":\"writer " + std::to_string(t) + " note " + std::to_string(i) + "\"}");
                        (r.status == 201 ? written : failed)++;
                    } catch (const std::exception&) {
                        ++failed;
                    }
                }
            });
        CPPUNIT_ASSERT(eventually([&] { return written >= 30; }));

        SqliteFile reader(live);
        const long before = std::stol(reader.scalar("SELECT COUNT(*) FROM example_notes"));
        const int writtenBefore = written;
        TempDir out;
        const std::string target = out.file("clinic-backup");
        const std::string copy = target + "/clinicd.db";
        auto r = CliSetup::clinicctl(daemon.configFile(), {"backup", target});
        const long after = std::stol(reader.scalar("SELECT COUNT(*) FROM example_notes"));
        const int writtenDuring = written - writtenBefore;
        stop = true;
        for (auto& w : writers)
            w.join();

        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(r), 0, r.exitCode);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.out, "size: "));
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.out, " pages of "));
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.out, "integrity_check: ok"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE("the daemon failed requests during the backup", 0, failed.load());
        CPPUNIT_ASSERT_MESSAGE("no writes landed while the backup ran", writtenDuring > 0 || after > before);

        struct stat st { };
        CPPUNIT_ASSERT_EQUAL(0, ::stat(copy.c_str(), &st));
        CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(st.st_mode & 0777));
        CPPUNIT_ASSERT(::stat((target + ".tmp").c_str(), &st) != 0);
        // The key that signs the tokens in use goes with the data.
        CPPUNIT_ASSERT_EQUAL(readFile(daemon.dataDir() + "/jwt.key"), readFile(target + "/jwt.key"));
        CPPUNIT_ASSERT_EQUAL(0, ::stat((target + "/jwt.key").c_str(), &st));
        CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(st.st_mode & 0777));

        SqliteFile backup(copy);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), backup.scalar("PRAGMA integrity_check"));
        const long copied = std::stol(backup.scalar("SELECT COUNT(*) FROM example_notes"));
        const std::string range
            = std::to_string(before) + " <= " + std::to_string(copied) + " <= " + std::to_string(after);
        std::cout << "\nnotes before/in the copy/after: " << range << " (" << writtenDuring
                  << " written while clinicctl ran)\n"
                  << r.out;
        CPPUNIT_ASSERT_MESSAGE(range, before <= copied && copied <= after);
        // One snapshot: ids run 1..n without a hole where a page was copied
        // from another moment.
        CPPUNIT_ASSERT_EQUAL(std::to_string(copied), backup.scalar("SELECT MAX(id) FROM example_notes"));
        CPPUNIT_ASSERT_EQUAL(std::string("delete"), backup.scalar("PRAGMA journal_mode"));
    }

    void backupRefusesAnExistingFileWithoutForce()
    {
        CliSetup setup;
        CPPUNIT_ASSERT_EQUAL(0, setup.ctl({"migrate"}).exitCode);
        const std::string target = setup.dir().file("precious.db");
        writeFile(target, "keep me");

        auto refused = setup.ctl({"backup", target});
        CPPUNIT_ASSERT_MESSAGE(shown(refused), refused.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(refused), contains(refused.err, "exists; pass --force"));
        CPPUNIT_ASSERT_EQUAL(std::string("keep me"), readFile(target));

        auto forced = setup.ctl({"backup", "--force", target});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(shown(forced), 0, forced.exitCode);
        SqliteFile copy(target + "/clinicd.db");
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), copy.scalar("PRAGMA integrity_check"));
        CPPUNIT_ASSERT_EQUAL(std::string("1"),
            copy.scalar("SELECT MAX(version) FROM schema_migrations"
                        " WHERE owner = 'example'"));
    }

    void backupOfAMissingDatabaseFailsAndLeavesNothing()
    {
        CliSetup setup;
        const std::string target = setup.dir().file("copy");
        auto r = setup.ctl({"backup", target});
        CPPUNIT_ASSERT_MESSAGE(shown(r), r.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(shown(r), contains(r.err, "no database at"));
        struct stat st { };
        CPPUNIT_ASSERT(::stat(target.c_str(), &st) != 0);
        CPPUNIT_ASSERT(::stat((target + ".tmp").c_str(), &st) != 0);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliBackupTest);
