#include "RawHttp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace clinic::test {

namespace {

std::string trim(const std::string& s)
{
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

} // namespace

RawConnection::RawConnection(int port)
{
    _fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (_fd < 0)
        throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Connect without blocking past 5 s: a daemon whose accept queue is full
    // must fail the test, not hang it.
    ::fcntl(_fd, F_SETFL, ::fcntl(_fd, F_GETFL) | O_NONBLOCK);
    int rc = ::connect(_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (rc != 0 && errno == EINPROGRESS) {
        pollfd p {_fd, POLLOUT, 0};
        rc = ::poll(&p, 1, 5000) == 1 ? 0 : -1;
        int err = 0;
        socklen_t len = sizeof err;
        if (rc == 0 && (::getsockopt(_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
            errno = err;
            rc = -1;
        }
    }
    if (rc != 0) {
        const std::string why = std::strerror(errno);
        ::close(_fd);
        _fd = -1;
        throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + why);
    }
    int one = 1;
    ::setsockopt(_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection()
{
    close();
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : _fd(other._fd)
    , _closed(other._closed)
    , _buffer(std::move(other._buffer))
{
    other._fd = -1;
}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept
{
    if (this != &other) {
        close();
        _fd = other._fd;
        _closed = other._closed;
        _buffer = std::move(other._buffer);
        other._fd = -1;
    }
    return *this;
}

void RawConnection::close()
{
    if (_fd >= 0)
        ::close(_fd);
    _fd = -1;
}

bool RawConnection::send(const std::string& bytes)
{
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p {_fd, POLLOUT, 0};
            if (::poll(&p, 1, 5000) != 1)
                return false;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return false;
    }
    return true;
}

bool RawConnection::fill(std::chrono::steady_clock::time_point deadline)
{
    if (_closed)
        return false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p {_fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return false;
        char chunk[16384];
        const ssize_t n = ::recv(_fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            _buffer.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        _closed = true; // 0: EOF; an error here is a reset
        return false;
    }
}

std::optional<HttpResult> RawConnection::readResponse(std::chrono::milliseconds deadline, bool headOnly)
{
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::size_t headEnd;
    while ((headEnd = _buffer.find("\r\n\r\n")) == std::string::npos)
        if (!fill(until))
            return std::nullopt;
    HttpResult r;
    std::istringstream head(_buffer.substr(0, headEnd));
    std::string line;
    std::getline(head, line);
    // Any version is parsed: a daemon that echoes a request's HTTP/2.0 must
    // fail the assertion on it, not the parser.
    if (line.rfind("HTTP/", 0) != 0 || line.size() < 12 || line[8] != ' ')
        throw std::runtime_error("not an HTTP status line: " + line);
    r.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        const auto colon = line.find(':');
        if (colon != std::string::npos)
            r.headers[lowerCase(line.substr(0, colon))] = trim(line.substr(colon + 1));
    }
    std::size_t at = headEnd + 4;
    const bool noBody = headOnly || r.status < 200 || r.status == 204 || r.status == 304;
    if (noBody) {
        _buffer.erase(0, at);
        return r;
    }
    if (lowerCase(r.header("Transfer-Encoding")).find("chunked") != std::string::npos) {
        for (;;) {
            std::size_t eol;
            while ((eol = _buffer.find("\r\n", at)) == std::string::npos)
                if (!fill(until))
                    return std::nullopt;
            const std::size_t size = std::stoul(_buffer.substr(at, eol - at), nullptr, 16);
            while (_buffer.size() < eol + 2 + size + 2)
                if (!fill(until))
                    return std::nullopt;
            r.body.append(_buffer, eol + 2, size);
            at = eol + 2 + size + 2;
            if (size == 0)
                break; // no trailers from clinicd
        }
    } else if (!r.header("Content-Length").empty()) {
        const std::size_t size = std::stoul(r.header("Content-Length"));
        while (_buffer.size() < at + size)
            if (!fill(until))
                return std::nullopt;
        r.body = _buffer.substr(at, size);
        at += size;
    } else {
        while (fill(until)) { }
        if (!_closed)
            return std::nullopt;
        r.body = _buffer.substr(at);
        at = _buffer.size();
    }
    _buffer.erase(0, at);
    return r;
}

bool RawConnection::closedWithin(std::chrono::milliseconds deadline)
{
    const auto until = std::chrono::steady_clock::now() + deadline;
    // At least one look, so a zero deadline still sees a close already there.
    do
        fill(until);
    while (!_closed && std::chrono::steady_clock::now() < until);
    return _closed;
}

std::optional<HttpResult> exchangeOnce(
    int port, const std::string& request, std::chrono::milliseconds deadline)
{
    RawConnection c(port);
    if (!c.send(request))
        return std::nullopt;
    return c.readResponse(deadline);
}

std::string getRequest(const std::string& path, const std::string& extraHeaders)
{
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n";
}

ProcessFootprint footprintOf(pid_t pid)
{
    ProcessFootprint f;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Threads:", 0) == 0)
            f.threads = std::stol(line.substr(8));
        else if (line.rfind("VmRSS:", 0) == 0)
            f.rssKiB = std::stol(line.substr(6));
    }
    return f;
}

double requestsCounted(const Daemon& daemon, const std::string& labelText)
{
    auto c = daemon.client();
    auto r = c.get("/metrics");
    if (r.status != 200)
        throw std::runtime_error("/metrics answered " + std::to_string(r.status) + ": " + r.body);
    std::vector<std::string> wanted;
    std::istringstream pairs(labelText);
    for (std::string p; std::getline(pairs, p, ',');)
        wanted.push_back(p);
    double total = 0;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("clinicd_http_requests_total{", 0) != 0)
            continue;
        bool all = true;
        for (const auto& w : wanted)
            all = all && line.find(w) != std::string::npos;
        if (all)
            total += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return total;
}

long raiseOpenFileLimit(long wanted)
{
    rlimit lim {};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (static_cast<long>(lim.rlim_cur) < wanted) {
        lim.rlim_cur = std::min<rlim_t>(static_cast<rlim_t>(wanted), lim.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    return static_cast<long>(lim.rlim_cur);
}

std::string lowerCase(std::string s)
{
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

namespace {

/// Sends bytes one per interval from conn, reading for an answer between
/// them, until one comes, the daemon closes, giveUp passes from t0 or stop.
TrickleOutcome trickle(RawConnection& conn, const std::string& bytes, std::chrono::milliseconds interval,
    std::chrono::milliseconds giveUp, std::chrono::steady_clock::time_point t0, const std::atomic<bool>* stop)
{
    TrickleOutcome out;
    std::size_t next = 0;
    while (millisSince(t0) < static_cast<double>(giveUp.count()) && !(stop && *stop)) {
        // Past the end the client just stays silent; a write the daemon
        // refuses (it answered and closed) is not an error here.
        if (next < bytes.size())
            conn.send(bytes.substr(next++, 1));
        const auto wait = std::min<long long>(interval.count(),
            std::max<long long>(1, giveUp.count() - static_cast<long long>(millisSince(t0))));
        auto r = conn.readResponse(std::chrono::milliseconds(wait));
        if (r) {
            out.status = r->status;
            out.code = r->errorCode();
            out.answeredAfterMs = millisSince(t0);
            out.closed = conn.closedWithin(std::chrono::seconds(2));
            return out;
        }
        if (conn.peerClosed()) {
            out.closed = true;
            out.answeredAfterMs = millisSince(t0);
            return out;
        }
    }
    out.stopped = stop && *stop && millisSince(t0) < static_cast<double>(giveUp.count());
    return out;
}

} // namespace

TrickleOutcome trickleHead(int port, std::chrono::milliseconds interval, std::chrono::milliseconds giveUp,
    const std::atomic<bool>* stop)
{
    try {
        RawConnection conn(port);
        // Long enough that it can never be finished before the deadline.
        std::string head = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: reception-terminal";
        head.append(4096, 'x');
        return trickle(conn, head, interval, giveUp, std::chrono::steady_clock::now(), stop);
    } catch (const std::exception& e) {
        TrickleOutcome out;
        out.failure = e.what();
        return out;
    }
}

TrickleOutcome trickleBody(int port, const std::string& head, std::chrono::milliseconds interval,
    std::chrono::milliseconds giveUp, const std::atomic<bool>* stop)
{
    try {
        RawConnection conn(port);
        if (!conn.send(head)) {
            TrickleOutcome out;
            out.failure = "the head could not be sent";
            return out;
        }
        return trickle(
            conn, std::string(1 << 20, ' '), interval, giveUp, std::chrono::steady_clock::now(), stop);
    } catch (const std::exception& e) {
        TrickleOutcome out;
        out.failure = e.what();
        return out;
    }
}

double millisSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace clinic::test
