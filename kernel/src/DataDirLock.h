#pragma once

#include <string>

namespace clinic {

/// The lock file data.dir/clinicd.lock: every running clinicd holds a shared
/// lock on it for its whole life (several daemons may share one data
/// directory); clinicctl restore takes it exclusively, so a restore never
/// runs under a daemon and no daemon starts in the middle of a restore. The
/// kernel drops the lock with the process, so a crash leaves nothing stale.
class DataDirLock {
public:
    enum class Mode { Shared, Exclusive };

    /// Takes the lock without waiting. Throws std::runtime_error naming the
    /// holder (the pid written by the last daemon) when it is taken.
    DataDirLock(const std::string& dataDir, Mode mode);
    ~DataDirLock();
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

    static std::string path(const std::string& dataDir);

private:
    int _fd = -1;
};

} // namespace clinic
