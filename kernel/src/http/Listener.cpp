#include "http/Listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace clinic {

namespace {

std::string describeErrno(int error)
{
    if (error == EADDRINUSE)
        return "address already in use";
    if (error == EACCES)
        return "permission denied";
    if (error == EADDRNOTAVAIL)
        return "address not available on this machine";
    return std::strerror(error);
}

} // namespace

Listener::Listener(const std::string& address, int port, int backlog)
{
    const std::string where = (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":"
        + std::to_string(port);
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    int rc = getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(), &hints, &found);
    if (rc != 0 || !found)
        throw std::runtime_error("cannot listen on " + where + ": " + gai_strerror(rc));
    _fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, found->ai_protocol);
    if (_fd < 0) {
        const int error = errno;
        freeaddrinfo(found);
        throw std::runtime_error("cannot listen on " + where + ": " + describeErrno(error));
    }
    // SO_REUSEADDR lets a restarted daemon bind while old connections sit in
    // TIME_WAIT; it does not let two daemons share a listening port.
    int on = 1;
    ::setsockopt(_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    rc = ::bind(_fd, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    if (rc != 0 || ::listen(_fd, backlog) != 0) {
        const int error = errno;
        close();
        throw std::runtime_error("cannot listen on " + where + ": " + describeErrno(error));
    }
    sockaddr_storage bound {};
    socklen_t length = sizeof bound;
    ::getsockname(_fd, reinterpret_cast<sockaddr*>(&bound), &length);
    if (bound.ss_family == AF_INET6)
        _port = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    else
        _port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

Listener::~Listener()
{
    close();
}

void Listener::close()
{
    if (_fd >= 0)
        ::close(_fd);
    _fd = -1;
}

long raiseOpenFilesLimit()
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
}

std::string numericHost(const sockaddr_storage& address)
{
    char text[INET6_ADDRSTRLEN] = "";
    if (address.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text, sizeof text);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    } else {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, text, sizeof text);
    }
    return text;
}

} // namespace clinic
