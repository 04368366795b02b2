#pragma once

#include <string>

#include <sys/socket.h>

namespace clinic {

/// The daemon's listening socket: non-blocking, SO_REUSEADDR only. Never
/// SO_REUSEPORT: with it a second daemon on a taken port would start quietly
/// and the kernel would split the clinic's connections between the two.
class Listener {
public:
    /// Binds and listens; throws std::runtime_error naming the address and
    /// port ("cannot listen on 127.0.0.1:8080: address already in use").
    Listener(const std::string& address, int port, int backlog);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    int fd() const { return _fd; }
    /// The bound port (useful when port 0 was asked for).
    int port() const { return _port; }
    void close();

private:
    int _fd = -1;
    int _port = 0;
};

/// A peer address as text ("192.168.1.20", "fe80::1"); an IPv4 client on an
/// IPv6 socket as plain IPv4, so per-client limits count it once.
std::string numericHost(const sockaddr_storage& address);

/// Raises this process's open-files soft limit to its hard limit (each
/// connection is a descriptor) and returns the limit now in force.
long raiseOpenFilesLimit();

} // namespace clinic
