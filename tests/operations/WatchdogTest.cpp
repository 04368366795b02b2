// systemd's watchdog is fed only by a daemon that answers: clinicd pings
// after its own GET /health/live over its listener and a database round
// trip. Here a socket stands in for systemd's notify socket, and filling the
// connection cap stands in for a front end that no longer answers.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Net/StreamSocket.h>

#include "TestSupport.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

/// A datagram socket where the daemon's sd_notify messages arrive.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path)
        : _path(path)
    {
        _fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr {};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
        if (::bind(_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
            throw std::runtime_error("cannot bind " + path);
    }
    ~NotifySocket()
    {
        ::close(_fd);
        ::unlink(_path.c_str());
    }

    /// Waits up to timeout for a message containing text; false if none came.
    bool waitFor(const std::string& text, std::chrono::milliseconds timeout)
    {
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p {_fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                continue;
            char buffer[512];
            const ssize_t n = ::recv(_fd, buffer, sizeof buffer, 0);
            if (n > 0 && std::string(buffer, static_cast<std::size_t>(n)).find(text) != std::string::npos)
                return true;
        }
    }

    /// Drops what arrived so far.
    void drain()
    {
        char buffer[512];
        while (::recv(_fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) { }
    }

private:
    std::string _path;
    int _fd = -1;
};

} // namespace

class WatchdogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(WatchdogTest);
    CPPUNIT_TEST(pingsOnlyWhileTheDaemonAnswersItself);
    CPPUNIT_TEST_SUITE_END();

public:
    void pingsOnlyWhileTheDaemonAnswersItself()
    {
        TempDir dir;
        NotifySocket systemd(dir.file("notify"));
        Daemon::Options o;
        o.env["NOTIFY_SOCKET"] = dir.file("notify");
        o.env["WATCHDOG_USEC"] = "1000000";
        o.config["http.max_connections"] = "4";
        o.config["http.keep_alive_seconds"] = "120";
        o.config["http.header_timeout_seconds"] = "120";
        Daemon d(o);
        CPPUNIT_ASSERT_MESSAGE(d.log(), systemd.waitFor("READY=1", 10s));
        CPPUNIT_ASSERT_MESSAGE(d.log(), systemd.waitFor("WATCHDOG=1", 3s));

        // Every connection slot taken by idle clients: the daemon's own
        // probe is refused, and systemd hears nothing.
        std::vector<Poco::Net::StreamSocket> idle;
        for (int i = 0; i < 4; ++i)
            idle.emplace_back(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(d.port())));
        CPPUNIT_ASSERT(
            eventually([&] { return d.log().find("watchdog: not pinging") != std::string::npos; }, 5s));
        systemd.drain(); // pings sent before the slots filled up
        CPPUNIT_ASSERT_MESSAGE(
            "a ping while the daemon could not answer itself", !systemd.waitFor("WATCHDOG=1", 2500ms));

        for (auto& s : idle)
            s.close();
        CPPUNIT_ASSERT_MESSAGE(d.log(), systemd.waitFor("WATCHDOG=1", 5s));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(WatchdogTest);
