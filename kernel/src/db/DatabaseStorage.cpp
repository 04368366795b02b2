// DatabaseImpl and the disk under it: the storage-full state writes set and
// clear, its metrics, and the readiness check that names the disk.

#include "db/DatabaseImpl.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <Poco/Path.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

namespace clinic {

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

} // namespace clinic
