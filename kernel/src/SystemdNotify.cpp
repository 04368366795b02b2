#include "SystemdNotify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace clinic {

bool notifySystemd(const std::string& state)
{
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return false;
    sockaddr_un addr {};
    addr.sun_family = AF_UNIX;
    std::size_t len = std::strlen(path);
    if (len >= sizeof(addr.sun_path))
        return false;
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0'; // abstract namespace
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    bool ok = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), size)
        >= 0;
    ::close(fd);
    return ok;
}

long long systemdWatchdogMicros()
{
    const char* usec = std::getenv("WATCHDOG_USEC");
    if (!usec)
        return 0;
    const char* pid = std::getenv("WATCHDOG_PID");
    if (pid && std::atoll(pid) != static_cast<long long>(::getpid()))
        return 0;
    return std::atoll(usec);
}

} // namespace clinic
