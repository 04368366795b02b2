#pragma once

// The HTTP front end's suites speak to clinicd byte by byte: a request is
// whatever bytes a test writes, so framing a real client would never send
// (two Content-Lengths, obs-fold, a smuggled second request) reaches the
// daemon as written. One response is read with a deadline, and a test can
// tell whether the daemon closed the connection afterwards.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "TestSupport.h"

namespace clinic::test {

/// One client connection over a plain POSIX socket to 127.0.0.1:port.
class RawConnection {
public:
    /// Connects (blocking, up to 5 s); throws if the daemon does not accept.
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(RawConnection&& other) noexcept;
    RawConnection& operator=(RawConnection&& other) noexcept;
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    /// Writes all of bytes; false if the daemon had already closed or reset
    /// the connection (a refused request may be answered and closed before
    /// the client has finished sending).
    bool send(const std::string& bytes);

    /// Reads one response (status line, headers and its body, framed by
    /// Content-Length, chunked encoding, or the close). An interim 1xx comes
    /// back on its own. headOnly: the request was HEAD, so no body follows
    /// whatever Content-Length says. Nothing if no complete response arrived
    /// within the deadline or the daemon closed first.
    std::optional<HttpResult> readResponse(std::chrono::milliseconds deadline, bool headOnly = false);

    /// Waits up to deadline for the daemon to close (EOF or reset). Bytes
    /// that arrive meanwhile are kept for unread(); they do not count as a close.
    bool closedWithin(std::chrono::milliseconds deadline);

    /// Whether the daemon has closed (EOF or reset seen by an earlier read).
    bool peerClosed() const { return _closed; }
    /// Bytes received but not consumed as a response.
    const std::string& unread() const { return _buffer; }
    int fd() const { return _fd; }
    /// Closes the client side now.
    void close();

private:
    /// Reads what is there (waiting until the deadline for at least one
    /// byte); false on timeout, EOF or reset.
    bool fill(std::chrono::steady_clock::time_point deadline);

    int _fd = -1;
    bool _closed = false;
    std::string _buffer;
};

/// Opens a connection, sends request and reads one response within deadline.
std::optional<HttpResult> exchangeOnce(
    int port, const std::string& request, std::chrono::milliseconds deadline = std::chrono::seconds(5));

/// A GET of path with a Host header (HTTP/1.1, keep-alive).
std::string getRequest(const std::string& path, const std::string& extraHeaders = "");

/// The Threads: and VmRSS: lines of /proc/<pid>/status (-1 if unreadable).
struct ProcessFootprint {
    long threads = -1;
    long rssKiB = -1;
};
ProcessFootprint footprintOf(pid_t pid);

/// The sum of clinicd_http_requests_total over the series whose labels
/// contain every one of labelText's comma-separated pairs (e.g.
/// `route="/health/live"`), read from /metrics on a fresh connection (the
/// metrics plugin must be loaded).
double requestsCounted(const Daemon& daemon, const std::string& labelText);

/// Raises this process's open-file limit to at least wanted (up to the hard
/// limit); returns the soft limit now in force.
long raiseOpenFileLimit(long wanted);

/// How a deliberately slow client ended.
struct TrickleOutcome {
    int status = 0; ///< the answer's status, 0 if none came
    std::string code; ///< error.code of the answer
    double answeredAfterMs = -1; ///< from the first head byte, or from the end of the head for a body
    bool closed = false; ///< the daemon closed the connection after answering
    bool stopped = false; ///< stop was set before any answer, close or giveUp
    std::string failure; ///< why the connection could not be used at all
};

/// Sends a request head one byte per interval and never finishes it; stops
/// at an answer, a close, giveUp after the first byte, or when stop is set.
TrickleOutcome trickleHead(int port, std::chrono::milliseconds interval, std::chrono::milliseconds giveUp,
    const std::atomic<bool>* stop = nullptr);

/// Sends head whole, then one body byte per interval and never finishes the
/// body; stops at an answer, a close, giveUp after the end of the head, or stop.
TrickleOutcome trickleBody(int port, const std::string& head, std::chrono::milliseconds interval,
    std::chrono::milliseconds giveUp, const std::atomic<bool>* stop = nullptr);

/// s in lower case (ASCII).
std::string lowerCase(std::string s);

/// Milliseconds since t0.
double millisSince(std::chrono::steady_clock::time_point t0);

} // namespace clinic::test
