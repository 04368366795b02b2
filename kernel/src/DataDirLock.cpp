#include "DataDirLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace clinic {

std::string DataDirLock::path(const std::string& dataDir)
{
    return dataDir + "/clinicd.lock";
}

DataDirLock::DataDirLock(const std::string& dataDir, Mode mode)
{
    const std::string file = path(dataDir);
    _fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (_fd < 0)
        throw std::runtime_error("cannot open " + file + ": " + std::strerror(errno));
    const int how = (mode == Mode::Shared ? LOCK_SH : LOCK_EX) | LOCK_NB;
    if (::flock(_fd, how) != 0) {
        const int saved = errno;
        char pid[32] = {};
        const ssize_t n = ::pread(_fd, pid, sizeof(pid) - 1, 0);
        ::close(_fd);
        _fd = -1;
        std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string();
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        if (saved != EWOULDBLOCK)
            throw std::runtime_error("cannot lock " + file + ": " + std::strerror(saved));
        throw std::runtime_error(mode == Mode::Shared
                ? file + " is held by clinicctl restore" + (holder.empty() ? "" : " (pid " + holder + ")")
                    + "; start clinicd once it has finished"
                : "clinicd is running on " + dataDir + (holder.empty() ? "" : " (pid " + holder + ")")
                    + ": stop it first (systemctl stop clinicd)");
    }
    // The pid of the last holder, for the message above; not a pid file that
    // anything relies on (the lock is the truth).
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(_fd, 0) == 0 && ::pwrite(_fd, pid.data(), pid.size(), 0) < 0) {
        // A read-only lock file still locks; the message just names no pid.
    }
}

DataDirLock::~DataDirLock()
{
    if (_fd >= 0)
        ::close(_fd);
}

} // namespace clinic
