#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace clinic::test {

/// A private MariaDB server for the tests: its own data directory under /tmp,
/// listening on a free loopback port, started by the test process and stopped
/// by the pid it started (never by name).
class MariaDbServer {
public:
    /// Whether mariadb-server is installed here.
    static bool installed();
    /// The server shared by this test process, started on first use. Throws
    /// if it cannot start.
    static MariaDbServer& shared();
    /// Stops the shared server if it was started (the test main calls this).
    static void stopShared();

    MariaDbServer();
    ~MariaDbServer();

    int port() const { return _port; }
    pid_t pid() const { return _pid; }
    const std::string& socket() const { return _socket; }
    /// Runs SQL as root through the socket; throws with the client's output on failure.
    std::string sql(const std::string& statements);
    /// Creates a database and a user for it; returns a mysql:// URL clinicd accepts.
    std::string createDatabase(const std::string& name);
    /// Stops the server (SIGTERM to its pid, wait). Safe to call twice.
    void stop();
    /// Starts it again on the same data directory and port.
    void restart();

private:
    void launch();

    std::string _dir;
    std::string _socket;
    int _port = 0;
    pid_t _pid = -1;
};

} // namespace clinic::test
