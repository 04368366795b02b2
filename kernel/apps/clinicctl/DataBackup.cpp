#include "DataBackup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include <Poco/File.h>
#include <Poco/Path.h>

#include "DatabaseBackup.h"
#include "version.h"

namespace clinic {

namespace {

constexpr const char* kFormat = "clinicd-backup 1";

std::runtime_error systemFailure(const std::string& what)
{
    return std::runtime_error(what + ": " + std::strerror(errno));
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

bool isDirectory(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parentOf(const std::string& path)
{
    return Poco::Path(path).absolute().parent().toString();
}

void fsyncPath(const std::string& path, bool directory)
{
    int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        throw systemFailure("cannot open " + path + " to sync it");
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (rc != 0)
        throw systemFailure("fsync " + path);
}

void removeAll(const std::string& path)
{
    if (exists(path))
        Poco::File(path).remove(true);
}

/// A byte-for-byte copy made 0600 (a document or a key is never for others),
/// on disk before this returns.
std::uint64_t copyFile(const std::string& from, const std::string& to)
{
    int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        throw systemFailure("cannot read " + from);
    int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        const int saved = errno;
        ::close(in);
        errno = saved;
        throw systemFailure("cannot create " + to);
    }
    std::uint64_t total = 0;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(in, buffer, sizeof buffer);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int saved = errno;
            ::close(in);
            ::close(out);
            errno = saved;
            throw systemFailure("cannot read " + from);
        }
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out, buffer + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                const int saved = errno;
                ::close(in);
                ::close(out);
                errno = saved;
                throw systemFailure("cannot write " + to);
            }
            done += w;
        }
        total += static_cast<std::uint64_t>(n);
    }
    ::close(in);
    const int rc = ::fsync(out);
    const int saved = errno;
    ::close(out);
    errno = saved;
    if (rc != 0)
        throw systemFailure("fsync " + to);
    return total;
}

struct CopyCount {
    std::size_t files = 0;
    std::uint64_t bytes = 0;
};

/// Copies the documents folder's finished files (never a .part- upload in
/// flight) into a new folder.
CopyCount copyDocuments(const std::string& from, const std::string& to)
{
    if (::mkdir(to.c_str(), 0700) != 0)
        throw systemFailure("cannot create " + to);
    CopyCount count;
    DIR* dir = ::opendir(from.c_str());
    if (!dir)
        throw systemFailure("cannot list " + from);
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == ".." || name.find(".part-") != std::string::npos)
            continue;
        names.push_back(name);
    }
    ::closedir(dir);
    for (const auto& name : names) {
        struct stat st { };
        if (::lstat((from + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        count.bytes += copyFile(from + "/" + name, to + "/" + name);
        ++count.files;
    }
    fsyncPath(to, true);
    return count;
}

/// PRAGMA integrity_check's verdict: "ok", or its findings.
std::string integrityOf(const std::string& path)
{
    sqlite3* db = nullptr;
    std::string verdict;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        verdict = std::string("cannot open: ") + (db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close_v2(db);
        return verdict;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) != SQLITE_OK) {
        verdict = sqlite3_errmsg(db);
    } else {
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const char* line = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
            verdict += (verdict.empty() ? "" : "; ") + std::string(line ? line : "");
        }
        if (rc != SQLITE_DONE)
            verdict += (verdict.empty() ? "" : "; ") + std::string(sqlite3_errmsg(db));
    }
    sqlite3_finalize(stmt);
    sqlite3_close_v2(db);
    return verdict;
}

std::string utcStamp(const char* format)
{
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    ::gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, format, &tm);
    return text;
}

std::map<std::string, std::string> readManifest(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path + " is missing: not a clinicctl backup directory");
    std::map<std::string, std::string> out;
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find(" = ");
        if (!line.empty() && line[0] != '#' && eq != std::string::npos)
            out[line.substr(0, eq)] = line.substr(eq + 3);
    }
    if (out["format"] != kFormat)
        throw std::runtime_error(path + " is not a " + std::string(kFormat) + " manifest");
    return out;
}

/// Renames done so far, undone in reverse order when a later one fails.
class Renames {
public:
    void move(const std::string& from, const std::string& to)
    {
        if (::rename(from.c_str(), to.c_str()) != 0)
            throw systemFailure("cannot rename " + from + " to " + to);
        _done.emplace_back(from, to);
    }
    /// Best effort: returns what could not be put back.
    std::string undo()
    {
        std::string stuck;
        for (auto it = _done.rbegin(); it != _done.rend(); ++it)
            if (::rename(it->second.c_str(), it->first.c_str()) != 0)
                stuck += "\n  " + it->second + " -> " + it->first + ": " + std::strerror(errno);
        _done.clear();
        return stuck;
    }

private:
    std::vector<std::pair<std::string, std::string>> _done;
};

} // namespace

void DataBackup::backup(const DataPaths& paths, const std::string& target, bool force, std::ostream& out)
{
    if (exists(target) && !force)
        throw std::runtime_error(target + " exists; pass --force to replace it");
    if (paths.sqlite && !exists(paths.databasePath))
        throw systemFailure("no database at " + paths.databasePath);
    const std::string staging = target + ".tmp";
    removeAll(staging);
    if (::mkdir(staging.c_str(), 0700) != 0)
        throw systemFailure("cannot create " + staging);
    std::string manifest = std::string("format = ") + kFormat + "\nclinicd_version = " + CLINICD_VERSION
        + "\ncreated_at = " + utcStamp("%Y-%m-%dT%H:%M:%SZ") + "\ndata_dir = " + paths.dataDir + "\n";
    std::string report;
    try {
        if (paths.sqlite) {
            auto r = DatabaseBackup::run(paths.databasePath, staging + "/clinicd.db", false);
            manifest += "database = sqlite " + paths.databasePath + "\n";
            report += "database: " + paths.databasePath + " -> clinicd.db\nsize: " + std::to_string(r.bytes)
                + " bytes, " + std::to_string(r.pages) + " pages of " + std::to_string(r.pageSize)
                + " bytes\nintegrity_check: ok\n";
        } else {
            manifest += "database = mariadb " + paths.mariadbName + " (not included)\n";
            report += "database: NOT included (MariaDB " + paths.mariadbName
                + "): take it with mariadb-dump --single-transaction --routines --triggers "
                + paths.mariadbName + " > " + target
                + "/clinicd.sql (a consistent snapshot without locking the tables)\n";
        }
        // After the database: a document uploaded meanwhile may be in the
        // copy without its row, never a row without its document.
        CopyCount docs;
        if (isDirectory(paths.documentsDir()))
            docs = copyDocuments(paths.documentsDir(), staging + "/documents");
        manifest += "documents = " + std::to_string(docs.files) + "\n";
        report += "documents: " + std::to_string(docs.files) + " file(s), " + std::to_string(docs.bytes)
            + " bytes\n";
        if (exists(paths.keyPath)) {
            copyFile(paths.keyPath, staging + "/jwt.key");
            manifest += "jwt_key = " + paths.keyPath + "\n";
            report += "token signing key: " + paths.keyPath + " -> jwt.key\n";
        } else {
            report += "token signing key: none at " + paths.keyPath + " (made at the daemon's first start)\n";
        }
        {
            std::ofstream m(staging + "/MANIFEST", std::ios::trunc);
            m << manifest;
            if (!m.flush())
                throw std::runtime_error("cannot write " + staging + "/MANIFEST");
        }
        fsyncPath(staging + "/MANIFEST", false);
        fsyncPath(staging, true);
        if (exists(target)) {
            const std::string old = target + ".old-" + utcStamp("%Y%m%dT%H%M%SZ");
            if (::rename(target.c_str(), old.c_str()) != 0)
                throw systemFailure("cannot move the old " + target + " aside");
            if (::rename(staging.c_str(), target.c_str()) != 0) {
                const int saved = errno;
                ::rename(old.c_str(), target.c_str());
                errno = saved;
                throw systemFailure("cannot rename " + staging + " to " + target);
            }
            removeAll(old);
        } else if (::rename(staging.c_str(), target.c_str()) != 0) {
            throw systemFailure("cannot rename " + staging + " to " + target);
        }
        fsyncPath(parentOf(target), true);
    } catch (...) {
        removeAll(staging);
        throw;
    }
    out << "backup: " << target << "\n" << report;
}

void DataBackup::restore(const DataPaths& paths, const std::string& source, std::ostream& out)
{
    if (!isDirectory(source))
        throw std::runtime_error(source + " is not a backup directory (clinicctl backup makes one)");
    auto manifest = readManifest(source + "/MANIFEST");
    const std::string backupDb = source + "/clinicd.db";
    if (paths.sqlite) {
        if (!exists(backupDb))
            throw std::runtime_error(
                source + " holds no SQLite database (" + manifest["database"] + "); nothing was changed");
        const std::string verdict = integrityOf(backupDb);
        if (verdict != "ok")
            throw std::runtime_error(
                backupDb + " fails integrity_check (" + verdict + "); nothing was changed");
    }
    if (::mkdir(paths.dataDir.c_str(), 0750) != 0 && errno != EEXIST)
        throw systemFailure("cannot create " + paths.dataDir);

    // What goes where: {live path, copy staged beside it, directory?}.
    struct Part {
        std::string live;
        std::string staged;
    };
    std::vector<Part> parts;
    auto stageAll = [&] {
        if (paths.sqlite) {
            Part db {paths.databasePath, paths.databasePath + ".restore-tmp"};
            removeAll(db.staged);
            parts.push_back(db);
            copyFile(backupDb, db.staged);
            const std::string verdict = integrityOf(db.staged);
            if (verdict != "ok")
                throw std::runtime_error(
                    "the copy " + db.staged + " fails integrity_check (" + verdict + ")");
        }
        if (isDirectory(source + "/documents")) {
            Part docs {paths.documentsDir(), paths.documentsDir() + ".restore-tmp"};
            removeAll(docs.staged);
            parts.push_back(docs);
            copyDocuments(source + "/documents", docs.staged);
        }
        if (exists(source + "/jwt.key")) {
            Part key {paths.keyPath, paths.keyPath + ".restore-tmp"};
            removeAll(key.staged);
            parts.push_back(key);
            copyFile(source + "/jwt.key", key.staged);
        }
    };
    try {
        stageAll();
    } catch (const std::exception& e) {
        for (const auto& p : parts)
            removeAll(p.staged);
        throw std::runtime_error(std::string(e.what()) + "; nothing was changed");
    }

    const std::string stamp = ".pre-restore-" + utcStamp("%Y%m%dT%H%M%SZ");
    Renames renames;
    std::vector<std::string> kept;
    try {
        for (const auto& p : parts) {
            // A live database's -wal, -shm and -journal belong to the old
            // file: left beside the new one, SQLite would replay them into it.
            if (paths.sqlite && p.live == paths.databasePath)
                for (const char* suffix : {"-wal", "-shm", "-journal"})
                    if (exists(p.live + suffix))
                        renames.move(p.live + suffix, p.live + stamp + suffix);
            if (exists(p.live)) {
                renames.move(p.live, p.live + stamp);
                kept.push_back(p.live + stamp);
            }
            renames.move(p.staged, p.live);
        }
        for (const auto& p : parts)
            fsyncPath(parentOf(p.live), true);
    } catch (const std::exception& e) {
        const std::string stuck = renames.undo();
        for (const auto& p : parts)
            removeAll(p.staged);
        throw std::runtime_error(std::string(e.what())
            + (stuck.empty() ? "; the previous data is back in place"
                             : "; these could not be put back by hand:" + stuck));
    }

    out << "restored from " << source << " (made " << manifest["created_at"] << " by clinicd "
        << manifest["clinicd_version"] << ")\n";
    if (paths.sqlite)
        out << "database: " << paths.databasePath << " (integrity_check: ok)\n";
    else
        out << "database: not restored (MariaDB " << paths.mariadbName << "): load the dump with mariadb "
            << paths.mariadbName << " < " << source << "/clinicd.sql\n";
    out << "documents: " << manifest["documents"] << " file(s) in " << paths.documentsDir() << "\n";
    out << "token signing key: "
        << (exists(source + "/jwt.key") ? paths.keyPath : std::string("not in the backup, left as it was"))
        << "\n";
    if (kept.empty()) {
        out << "there was no previous data\n";
    } else {
        out << "the previous data is kept beside it; remove it once clinicd serves the restored data:\n";
        for (const auto& k : kept)
            out << "  " << k << "\n";
    }
}

} // namespace clinic
