#include "DatabaseBackup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <Poco/Path.h>

namespace clinic {

namespace {

/// Pages copied per step. Between steps the source is unlocked, so the
/// daemon's writers never wait on a backup for long.
constexpr int kPagesPerStep = 256;
/// How long one step may keep meeting a locked source before we give up.
constexpr auto kBusyLimit = std::chrono::seconds(60);

struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;

std::runtime_error failure(const std::string& what, sqlite3* db)
{
    return std::runtime_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

std::runtime_error systemFailure(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

DbHandle open(const std::string& path, int flags)
{
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK)
        throw failure("cannot open " + path, raw);
    return db;
}

void fsyncPath(const std::string& path, int flags)
{
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        throw systemFailure("cannot open " + path + " to sync it");
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0)
        throw systemFailure("fsync " + path);
}

std::string realPath(const std::string& path)
{
    char buffer[PATH_MAX];
    return ::realpath(path.c_str(), buffer) ? std::string(buffer) : std::string();
}

/// Removes the temporary copy unless the backup got as far as renaming it.
class TempFile {
public:
    explicit TempFile(std::string path)
        : _path(std::move(path))
    {
    }
    ~TempFile()
    {
        if (!_kept)
            ::unlink(_path.c_str());
    }
    const std::string& path() const { return _path; }
    void keep() { _kept = true; }

private:
    std::string _path;
    bool _kept = false;
};

} // namespace

DatabaseBackup::Result DatabaseBackup::run(const std::string& source, const std::string& target, bool force)
{
    struct stat st { };
    if (::stat(source.c_str(), &st) != 0)
        throw systemFailure("no database at " + source);
    if (::stat(target.c_str(), &st) == 0) {
        if (!force)
            throw std::runtime_error(target + " exists; pass --force to replace it");
        if (realPath(target) == realPath(source))
            throw std::runtime_error(target + " is the live database itself");
        if (!S_ISREG(st.st_mode))
            throw std::runtime_error(target + " is not a regular file");
    }

    TempFile temp(target + ".tmp");
    // Made here with 0600 so the copy is never readable by others, not even
    // for the moment before a chmod (SQLite would create it 0644 & umask).
    ::unlink(temp.path().c_str());
    int fd = ::open(temp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw systemFailure("cannot create " + temp.path());
    ::close(fd);

    {
        DbHandle from = open(source, SQLITE_OPEN_READONLY);
        sqlite3_busy_timeout(from.get(), 1000);
        DbHandle to = open(temp.path(), SQLITE_OPEN_READWRITE);
        sqlite3_backup* backup = sqlite3_backup_init(to.get(), "main", from.get(), "main");
        if (!backup)
            throw failure("cannot start the backup", to.get());
        // A write by the daemon between two steps restarts the copy from page
        // one. If that keeps happening (a busy clinic, a large file), copy the
        // rest in one step: in WAL mode that read transaction does not block
        // the daemon's writers, it only delays checkpoints.
        int steps = 0;
        int chunk = kPagesPerStep;
        auto busySince = std::chrono::steady_clock::time_point();
        int rc = SQLITE_OK;
        for (;;) {
            rc = sqlite3_backup_step(backup, chunk);
            if (rc == SQLITE_DONE)
                break;
            if (rc == SQLITE_OK) {
                busySince = {};
                const int total = sqlite3_backup_pagecount(backup);
                if (++steps > 4 * (total / kPagesPerStep + 1))
                    chunk = -1;
                continue;
            }
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                const auto now = std::chrono::steady_clock::now();
                if (busySince == std::chrono::steady_clock::time_point())
                    busySince = now;
                if (now - busySince > kBusyLimit)
                    break;
                sqlite3_sleep(50);
                continue;
            }
            break;
        }
        sqlite3_backup_finish(backup);
        if (rc != SQLITE_DONE)
            throw std::runtime_error(std::string("backup failed: ") + sqlite3_errstr(rc));
        if (sqlite3_errcode(to.get()) != SQLITE_OK)
            throw failure("backup failed", to.get());
        // The copy inherits WAL mode from the live file; a backup is easier
        // to move and restore as one self-contained file.
        char* error = nullptr;
        if (sqlite3_exec(to.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &error) != SQLITE_OK) {
            std::string why = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error("cannot finish the copy: " + why);
        }
    }
    fsyncPath(temp.path(), O_RDONLY);

    Result result;
    {
        DbHandle copy = open(temp.path(), SQLITE_OPEN_READONLY);
        std::string verdict;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(copy.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK)
            throw failure("integrity_check on the copy", copy.get());
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const char* line = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
            verdict += (verdict.empty() ? "" : "; ") + std::string(line ? line : "");
        }
        sqlite3_finalize(stmt);
        if (verdict != "ok")
            throw std::runtime_error("the copy failed integrity_check: " + verdict);
        for (auto [pragma, out] : {std::pair<const char*, int*> {"PRAGMA page_count", &result.pages},
                 std::pair<const char*, int*> {"PRAGMA page_size", &result.pageSize}}) {
            if (sqlite3_prepare_v2(copy.get(), pragma, -1, &stmt, nullptr) != SQLITE_OK)
                throw failure(pragma, copy.get());
            if (sqlite3_step(stmt) == SQLITE_ROW)
                *out = sqlite3_column_int(stmt, 0);
            sqlite3_finalize(stmt);
        }
    }

    if (::rename(temp.path().c_str(), target.c_str()) != 0)
        throw systemFailure("cannot rename " + temp.path() + " to " + target);
    temp.keep();
    // The rename is durable only once the directory entry is on disk.
    fsyncPath(Poco::Path(Poco::Path(target).absolute().parent()).toString(), O_RDONLY | O_DIRECTORY);
    if (::stat(target.c_str(), &st) != 0)
        throw systemFailure("cannot stat " + target);
    result.bytes = static_cast<std::uint64_t>(st.st_size);
    return result;
}

} // namespace clinic
