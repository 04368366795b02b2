// DatabaseImpl and the disk under it: the storage-full state writes set and
// clear, its metrics, the readiness check that names the disk, and the one
// that proves the database writable.

#include "db/DatabaseImpl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <Poco/Path.h>
#include <Poco/String.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

namespace clinic {

using namespace Poco::Data::Keywords;

void DatabaseImpl::countFaultsIn(prometheus::Registry& registry)
{
    auto& failures
        = prometheus::BuildCounter()
              .Name("clinicd_db_write_failures_total")
              .Help("Write transactions refused because the database was unreachable or the disk full")
              .Register(registry);
    _unavailableWrites = &failures.Add({{"reason", "unavailable"}});
    _storageFullWrites = &failures.Add({{"reason", "storage_full"}});
    _storageFullGauge = &prometheus::BuildGauge()
                             .Name("clinicd_storage_full")
                             .Help("1 while writes are refused for lack of disk space")
                             .Register(registry)
                             .Add({});
    _storageFullGauge->Set(_storageFull.load() ? 1 : 0);
}

void DatabaseImpl::noteStorageFull(bool full)
{
    if (_storageFull.exchange(full) != full) {
        if (full)
            _log.error(
                "the disk under the database is full: writes answer 503 STORAGE_FULL until there is room");
        else
            _log.information("there is room on the disk again: writes are accepted");
    }
    if (_storageFullGauge)
        _storageFullGauge->Set(full ? 1 : 0);
}

namespace {

/// Whether a file system has room for a small write, proven by making one:
/// free-block counts on tmpfs and reserved ext4 blocks mislead, a write
/// that reaches the disk (fsync) does not.
bool probeWrite(const std::string& dir)
{
    const std::string path = dir + "/.clinicd-space-probe";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno != ENOSPC && errno != EDQUOT;
    const std::string block(64 * 1024, '\0');
    bool ok
        = ::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size()) && ::fsync(fd) == 0;
    ::close(fd);
    ::unlink(path.c_str());
    return ok;
}

} // namespace

ReadinessResult DatabaseImpl::checkStorage(const std::string& dataDir)
{
    std::vector<std::string> dirs {dataDir};
    if (_url.dialect == Dialect::SQLite) {
        const std::string dbDir = Poco::Path(_url.path).absolute().parent().toString();
        if (Poco::Path(dataDir).absolute().toString() != dbDir)
            dirs.push_back(dbDir);
    }
    for (const auto& dir : dirs) {
        struct statvfs fs { };
        if (::statvfs(dir.c_str(), &fs) != 0)
            continue; // a missing directory is the database check's business
        const unsigned long long room = static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize;
        const bool nearlyNone = room < 64 * 1024;
        if (nearlyNone || (_storageFull.load() && !probeWrite(dir)))
            return {false, "no space left on the file system of " + dir};
    }
    if (_storageFull.load())
        noteStorageFull(false);
    return {true, ""};
}

ReadinessResult DatabaseImpl::checkWritable()
{
    try {
        if (_url.dialect == Dialect::SQLite) {
            // A database made by another user (clinicctl run as root) opens
            // read-only without an error; every write would then fail.
            const std::string directory = Poco::Path(_url.path).absolute().parent().toString();
            for (const std::string& path : {_url.path, _url.path + "-wal", _url.path + "-shm", directory}) {
                struct stat st { };
                if (::stat(path.c_str(), &st) != 0)
                    continue; // -wal and -shm come and go
                if (::access(path.c_str(), W_OK) != 0)
                    return {false,
                        path + " is not writable by uid " + std::to_string(::geteuid()) + " (owner uid "
                            + std::to_string(st.st_uid) + "): " + std::strerror(errno)};
            }
            Poco::Data::Session s = livingSession();
            try {
                s << "BEGIN IMMEDIATE", now;
            } catch (const Poco::Exception& e) {
                // Another writer holds the lock: then the file is writable.
                const std::string text = Poco::toLower(e.displayText());
                if (text.find("locked") != std::string::npos || text.find("busy") != std::string::npos)
                    return {true, ""};
                return {false, "cannot take the write lock: " + e.displayText()};
            }
            try {
                s << "ROLLBACK", now;
            } catch (const Poco::Exception& e) {
                // Never hand a session in a transaction back to the pool.
                s.close();
                return {false, "cannot roll the write probe back: " + e.displayText()};
            }
            return {true, ""};
        }
        Poco::Data::Session s = livingSession();
        Poco::Int64 readOnly = 0;
        s << "SELECT @@read_only + @@innodb_read_only", into(readOnly), now;
        if (readOnly != 0)
            return {false, "the MariaDB server is read-only (read_only or innodb_read_only is ON)"};
        return {true, ""};
    } catch (const Poco::Exception& e) {
        return {false, e.displayText()};
    } catch (const std::exception& e) {
        return {false, e.what()};
    }
}

} // namespace clinic
