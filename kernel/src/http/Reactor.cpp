#include "http/Reactor.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <Poco/Logger.h>

#include "http/HttpMetrics.h"
#include "http/HttpService.h"
#include "http/Listener.h"
#include "http/TlsContext.h"
#include "http/WorkerPool.h"

namespace clinic {

namespace {

constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;
constexpr auto kTick = std::chrono::milliseconds(250);
/// How long, and how much, a refused client may still send after its answer:
/// enough for an honest client to read the answer instead of a reset, too
/// little for a large upload to tie the connection up.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 16 * 1024 * 1024;
const char* const kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr auto kHeartbeat = std::chrono::seconds(15);
/// An event stream whose client reads slower than the plugin sends is cut off here.
constexpr std::size_t kStreamBacklog = 4 * 1024 * 1024;

bool readsInput(Connection::Phase phase)
{
    using P = Connection::Phase;
    return phase == P::Idle || phase == P::Head || phase == P::Body || phase == P::Lingering
        || phase == P::Streaming;
}

} // namespace

/// The reactor as event streams see it: cleared when the reactor goes, so a
/// plugin holding a stream handle longer wakes nothing.
struct Reactor::Waker {
    std::mutex mutex;
    Reactor* reactor = nullptr;
};

Reactor::Reactor(HttpService& service, const HttpOptions& options, HttpMetrics& metrics, Listener& listener,
    const TlsContext* tls, WorkerPool& workers)
    : _service(service)
    , _options(options)
    , _metrics(metrics)
    , _listener(listener)
    , _tls(tls)
    , _workers(workers)
    , _waker(std::make_shared<Waker>())
{
    _waker->reactor = this;
    _epoll = epoll_create1(EPOLL_CLOEXEC);
    _wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    _spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (_epoll < 0 || _wakeFd < 0)
        throw std::runtime_error(std::string("cannot set up the HTTP reactor: ") + std::strerror(errno));
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerId;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, _listener.fd(), &ev);
    ev.data.u64 = kWakeId;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, _wakeFd, &ev);
}

Reactor::~Reactor()
{
    {
        std::lock_guard<std::mutex> lock(_waker->mutex);
        _waker->reactor = nullptr;
    }
    if (_thread.joinable()) {
        _forceStop = true;
        wake();
        _thread.join();
    }
    _connections.clear();
    for (int fd : {_epoll, _wakeFd, _spareFd})
        if (fd >= 0)
            ::close(fd);
}

void Reactor::start()
{
    _thread = std::thread([this] { loop(); });
}

void Reactor::wake()
{
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(_wakeFd, &one, sizeof one);
}

std::function<void(std::uint64_t)> Reactor::streamWaker() const
{
    return [waker = _waker](std::uint64_t connection) {
        std::lock_guard<std::mutex> lock(waker->mutex);
        if (!waker->reactor)
            return;
        {
            std::lock_guard<std::mutex> queued(waker->reactor->_completionsMutex);
            waker->reactor->_streamWakes.push_back(connection);
        }
        waker->reactor->wake();
    };
}

void Reactor::complete(std::unique_ptr<Exchange> exchange)
{
    {
        std::lock_guard<std::mutex> lock(_completionsMutex);
        _completions.push_back(std::move(exchange));
    }
    wake();
}

int Reactor::stop(int seconds)
{
    if (!_thread.joinable())
        return 0;
    _draining = true;
    wake();
    {
        std::unique_lock<std::mutex> lock(_stateMutex);
        _stateChanged.wait_for(lock, std::chrono::seconds(seconds), [this] { return _finished; });
    }
    _forceStop = true;
    wake();
    _thread.join();
    return _leftOpen;
}

void Reactor::loop()
{
    epoll_event events[256];
    for (;;) {
        if (_forceStop) {
            _leftOpen = static_cast<int>(_connections.size());
            for (auto& [id, c] : _connections)
                close(*c, "server");
            break;
        }
        if (_draining && !_drainBegun)
            beginDrain();
        if (_drainBegun && _connections.empty())
            break;
        auto timeout = kTick;
        if (!_deadlines.empty()) {
            const auto untilNext = std::chrono::duration_cast<std::chrono::milliseconds>(
                _deadlines.begin()->first - Clock::now());
            timeout
                = std::clamp(untilNext + std::chrono::milliseconds(1), std::chrono::milliseconds(0), kTick);
        }
        const int n = epoll_wait(_epoll, events, 256, static_cast<int>(timeout.count()));
        for (int i = 0; i < n; ++i) {
            const std::uint64_t id = events[i].data.u64;
            if (id == kListenerId) {
                accept();
            } else if (id == kWakeId) {
                std::uint64_t count = 0;
                [[maybe_unused]] ssize_t r = ::read(_wakeFd, &count, sizeof count);
            } else if (auto it = _connections.find(id); it != _connections.end()) {
                Connection& c = *it->second;
                if ((events[i].events & EPOLLERR) || ((events[i].events & EPOLLHUP) && !readsInput(c.phase)))
                    close(c, "client");
                else
                    drive(c);
            }
        }
        takeCompletions();
        takeStreamWakes();
        expireDeadlines();
        for (std::uint64_t id : _closed)
            _connections.erase(id);
        _closed.clear();
    }
    for (std::uint64_t id : _closed)
        _connections.erase(id);
    _closed.clear();
    std::lock_guard<std::mutex> lock(_stateMutex);
    _finished = true;
    _stateChanged.notify_all();
}

void Reactor::beginDrain()
{
    _drainBegun = true;
    epoll_ctl(_epoll, EPOLL_CTL_DEL, _listener.fd(), nullptr);
    _listener.close();
    for (auto& [id, c] : _connections)
        if (c->phase == Connection::Phase::Idle || c->phase == Connection::Phase::Handshake
            || c->phase == Connection::Phase::Streaming)
            close(*c, "server");
}

void Reactor::accept()
{
    for (;;) {
        sockaddr_storage address {};
        socklen_t length = sizeof address;
        const int fd = accept4(
            _listener.fd(), reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            openConnection(fd, address);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            // Out of descriptors: take the connection with the spare one and
            // close it at once, or the listener would stay readable and spin.
            Poco::Logger::get("clinicd.http").warning("out of file descriptors: a connection was dropped");
            if (_spareFd >= 0)
                ::close(_spareFd);
            const int dropped = accept4(_listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
            if (dropped >= 0) {
                ::close(dropped);
                _metrics.connectionClosed("limit");
            }
            _spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        return;
    }
}

void Reactor::openConnection(int fd, const sockaddr_storage& address)
{
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    SSL* ssl = nullptr;
    if (_tls && !(ssl = _tls->accept(fd))) {
        ::close(fd);
        return;
    }
    const std::uint64_t id = _nextId++;
    auto owned = std::make_unique<Connection>(id, fd, ssl, numericHost(address));
    Connection& c = *owned;
    _connections.emplace(id, std::move(owned));
    _metrics.connectionsOpen.Increment();
    epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = id;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev);
    c.events = EPOLLIN;

    const auto now = Clock::now();
    auto perClient = _perClient.find(c.client);
    const bool over = _counted >= _options.maxConnections
        || (perClient != _perClient.end() && perClient->second >= _options.maxConnectionsPerClient);
    if (!over) {
        c.counted = true;
        ++_counted;
        ++_perClient[c.client];
    }
    if (ssl) {
        // A stalled handshake is bound like a stalled head.
        c.phase = Connection::Phase::Handshake;
        c.refuseAfterHandshake = over;
        arm(c, now + std::chrono::seconds(_options.headerTimeoutSeconds));
    } else if (over) {
        refuse(c, {503, "TOO_MANY_CONNECTIONS", "too many connections; try again shortly"}, "limit",
            {{"Retry-After", "1"}});
    } else {
        c.phase = Connection::Phase::Idle;
        const int idle
            = _options.keepAliveSeconds > 0 ? _options.keepAliveSeconds : _options.headerTimeoutSeconds;
        arm(c, now + std::chrono::seconds(idle));
    }
    drive(c);
}

void Reactor::drive(Connection& c)
{
    if (c.phase == Connection::Phase::Handshake) {
        const auto io = c.handshake();
        if (io == Connection::Io::WouldBlock) {
            watch(c);
            return;
        }
        if (io != Connection::Io::Done) {
            close(c, "client");
            return;
        }
        if (c.refuseAfterHandshake) {
            refuse(c, {503, "TOO_MANY_CONNECTIONS", "too many connections; try again shortly"}, "limit",
                {{"Retry-After", "1"}});
        } else {
            c.phase = Connection::Phase::Idle;
            const int idle
                = _options.keepAliveSeconds > 0 ? _options.keepAliveSeconds : _options.headerTimeoutSeconds;
            arm(c, Clock::now() + std::chrono::seconds(idle));
        }
    }
    while (!c.closed() && c.hasOutput()) {
        const auto io = c.flush();
        if (io == Connection::Io::WouldBlock)
            break;
        if (io != Connection::Io::Done) {
            close(c, "client");
            return;
        }
        // A 100 Continue went out while the body is read; anything else is the answer.
        if (c.phase == Connection::Phase::Writing)
            written(c);
        else if (c.phase == Connection::Phase::Streaming && c.streamEnding)
            linger(c);
    }
    if (!c.closed() && readsInput(c.phase))
        readInput(c);
    if (!c.closed())
        watch(c);
}

void Reactor::readInput(Connection& c)
{
    // Enough for the longest head the parser would wait for; past it, it has decided.
    const std::size_t headCap = _options.maxHeaderBytes + _options.maxTargetBytes + 1024;
    while (!c.closed() && readsInput(c.phase)) {
        if (c.phase == Connection::Phase::Lingering) {
            const long n = c.discard();
            if (n == 0)
                return;
            c.lingered += n > 0 ? static_cast<std::size_t>(n) : 0;
            if (n < 0 || c.lingered > kLingerBytes)
                close(c, c.closeReason);
            continue;
        }
        if (c.phase == Connection::Phase::Streaming) {
            // Nothing the client sends on a stream means anything; reading
            // only tells when it has gone.
            std::string dropped;
            const auto io = c.read(dropped, 65536);
            if (io == Connection::Io::WouldBlock)
                return;
            if (io != Connection::Io::Done)
                close(c, "client");
            continue;
        }
        if (c.phase != Connection::Phase::Body && c.in.size() > headCap)
            return;
        const auto io = c.read(c.in, 65536);
        if (io == Connection::Io::WouldBlock)
            return;
        if (io != Connection::Io::Done) {
            close(c, "client");
            return;
        }
        parseInput(c);
    }
}

void Reactor::parseInput(Connection& c)
{
    if (c.phase == Connection::Phase::Idle) {
        if (c.in.empty())
            return;
        c.phase = Connection::Phase::Head;
        c.phaseStarted = Clock::now();
        arm(c, c.phaseStarted + std::chrono::seconds(_options.headerTimeoutSeconds));
    }
    if (c.phase == Connection::Phase::Head) {
        RequestHead head;
        FramingError error;
        switch (parseRequestHead(c.in, {_options.maxHeaderBytes, _options.maxTargetBytes}, head, error)) {
        case ParseResult::NeedMore:
            return;
        case ParseResult::Failed:
            refuse(c, error, "framing");
            return;
        case ParseResult::Complete:
            c.in.erase(0, head.size);
            onHead(c, std::move(head));
            return;
        }
    }
    if (c.phase == Connection::Phase::Body) {
        const std::size_t used = c.body->feed(c.in, c.exchange->request.body);
        c.in.erase(0, used);
        if (c.body->failed()) {
            const bool tooLarge = c.body->error().status == 413;
            if (tooLarge)
                _metrics.bodyRejections.Increment();
            refuse(c, c.body->error(), tooLarge ? "limit" : "framing");
        } else if (c.body->complete()) {
            onBodyRead(c);
        }
    }
}

void Reactor::onHead(Connection& c, RequestHead head)
{
    auto exchange = _service.open(c.id, std::move(head), c.client, c.ssl != nullptr);
    if (_draining || _options.keepAliveSeconds == 0 || !exchange->head.keepAlive)
        exchange->close = true;
    c.exchange = std::move(exchange);
    c.phase = Connection::Phase::Admitting;
    arm(c, Clock::time_point::max());
    if (!submit(c, true))
        refuse(c, {503, "SERVER_BUSY", "the server is busy; try again shortly"}, "server",
            {{"Retry-After", "1"}});
}

void Reactor::onBodyRead(Connection& c)
{
    c.body.reset();
    c.phase = Connection::Phase::Running;
    arm(c, Clock::time_point::max());
    if (!submit(c, false))
        refuse(c, {503, "SERVER_BUSY", "the server is busy; try again shortly"}, "server",
            {{"Retry-After", "1"}});
}

bool Reactor::submit(Connection& c, bool admit)
{
    // std::function wants a copyable task; the exchange goes back to the
    // connection if no worker takes it.
    auto holder = std::make_shared<std::unique_ptr<Exchange>>(std::move(c.exchange));
    const bool queued = _workers.submit([this, holder, admit] {
        std::unique_ptr<Exchange> exchange = std::move(*holder);
        if (admit)
            _service.admit(*exchange);
        else
            _service.run(*exchange);
        complete(std::move(exchange));
    });
    if (!queued)
        c.exchange = std::move(*holder);
    return queued;
}

void Reactor::takeCompletions()
{
    std::vector<std::unique_ptr<Exchange>> done;
    {
        std::lock_guard<std::mutex> lock(_completionsMutex);
        done.swap(_completions);
    }
    for (auto& exchange : done) {
        auto it = _connections.find(exchange->connection);
        // The client went away meanwhile: the answer has nowhere to go.
        if (it == _connections.end() || it->second->closed()) {
            if (exchange->stream)
                exchange->stream->detach();
            continue;
        }
        onCompleted(*it->second, std::move(exchange));
    }
}

void Reactor::onCompleted(Connection& c, std::unique_ptr<Exchange> exchange)
{
    if (exchange->next == Exchange::Next::ReadBody) {
        const RequestHead& head = exchange->head;
        c.body.emplace(head.framing, head.contentLength, exchange->bodyLimit, _options.maxHeaderBytes);
        c.exchange = std::move(exchange);
        c.phase = Connection::Phase::Body;
        c.phaseStarted = Clock::now();
        arm(c, c.phaseStarted + std::chrono::seconds(_options.headerTimeoutSeconds));
        if (c.exchange->head.expectContinue && c.in.empty())
            c.queue(kContinue);
        parseInput(c);
    } else {
        std::string answer = std::move(exchange->answer);
        const bool close = exchange->close || _draining;
        c.stream = std::move(exchange->stream);
        c.exchange = std::move(exchange);
        respond(c, std::move(answer), close, "server");
    }
    if (!c.closed())
        drive(c);
}

void Reactor::respond(Connection& c, std::string bytes, bool close, const char* reason)
{
    c.queue(bytes);
    c.phase = Connection::Phase::Writing;
    c.closeAfterWrite = close;
    c.closeReason = reason;
    arm(c, Clock::now() + std::chrono::seconds(_options.timeoutSeconds));
}

void Reactor::refuse(Connection& c, const FramingError& error, const char* reason, const Headers& extra)
{
    const bool countAsRequest = error.code != "TOO_MANY_CONNECTIONS";
    std::string answer
        = _service.refuse(c.exchange.get(), error, c.client, c.ssl != nullptr, extra, countAsRequest);
    c.body.reset();
    respond(c, std::move(answer), true, reason);
}

void Reactor::takeStreamWakes()
{
    std::vector<std::uint64_t> woken;
    {
        std::lock_guard<std::mutex> lock(_completionsMutex);
        woken.swap(_streamWakes);
    }
    for (std::uint64_t id : woken) {
        auto it = _connections.find(id);
        if (it == _connections.end() || it->second->closed()
            || it->second->phase != Connection::Phase::Streaming)
            continue;
        pump(*it->second);
        if (!it->second->closed())
            drive(*it->second);
    }
}

void Reactor::pump(Connection& c)
{
    bool ending = false;
    c.queue(c.stream->take(ending));
    c.streamEnding = ending;
    if (c.pendingOutput() > kStreamBacklog)
        close(c, "client");
    else if (ending && !c.hasOutput())
        linger(c);
}

void Reactor::written(Connection& c)
{
    c.exchange.reset();
    if (c.stream && c.phase == Connection::Phase::Writing && !_draining) {
        // The stream's head is out: from now on the connection carries
        // whatever the plugin queues, without a worker.
        c.phase = Connection::Phase::Streaming;
        arm(c, Clock::now() + kHeartbeat);
        pump(c);
        return;
    }
    if (c.closeAfterWrite || _draining) {
        linger(c);
        return;
    }
    c.phase = Connection::Phase::Idle;
    c.phaseStarted = Clock::now();
    arm(c, c.phaseStarted + std::chrono::seconds(_options.keepAliveSeconds));
    // A pipelined request may already be buffered.
    parseInput(c);
}

void Reactor::uncount(Connection& c)
{
    if (!c.counted)
        return;
    c.counted = false;
    --_counted;
    auto it = _perClient.find(c.client);
    if (it != _perClient.end() && --it->second <= 0)
        _perClient.erase(it);
}

void Reactor::linger(Connection& c)
{
    // On its way out and serving nothing: a client that reconnects at once
    // must not find its old connection still holding its place under the caps.
    uncount(c);
    if (c.stream)
        c.stream->detach();
    c.phase = Connection::Phase::Lingering;
    c.in.clear();
    c.shutdownWrite();
    arm(c, Clock::now() + kLingerTime);
}

void Reactor::expireDeadlines()
{
    const auto now = Clock::now();
    while (!_deadlines.empty() && _deadlines.begin()->first <= now) {
        const std::uint64_t id = _deadlines.begin()->second;
        _deadlines.erase(_deadlines.begin());
        auto it = _connections.find(id);
        if (it == _connections.end() || it->second->closed())
            continue;
        it->second->deadline = Clock::time_point::max();
        expire(*it->second, now);
    }
}

void Reactor::expire(Connection& c, Clock::time_point now)
{
    using P = Connection::Phase;
    switch (c.phase) {
    case P::Handshake:
        close(c, "timeout");
        return;
    case P::Idle:
        close(c, "idle");
        return;
    case P::Head:
        refuse(c, {408, "REQUEST_TIMEOUT", "the request head did not arrive in time"}, "timeout");
        break;
    case P::Body: {
        // Past the grace period the body must have kept up the minimum rate
        // on average since its start; the next check is when, without another
        // byte, it would fall behind.
        const double rate = static_cast<double>(_options.bodyMinBytesPerSecond);
        if (rate <= 0)
            return;
        const double elapsed = std::chrono::duration<double>(now - c.phaseStarted).count();
        const double received = static_cast<double>(c.body->received());
        if (received < rate * elapsed) {
            refuse(c, {408, "REQUEST_TIMEOUT", "the request body arrived too slowly"}, "timeout");
            break;
        }
        const auto due = c.phaseStarted
            + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(received / rate));
        arm(c, std::max(due, now + kTick));
        return;
    }
    case P::Writing:
        close(c, "timeout");
        return;
    case P::Lingering:
        close(c, c.closeReason);
        return;
    case P::Streaming:
        c.stream->heartbeat();
        arm(c, now + kHeartbeat);
        pump(c);
        if (c.closed())
            return;
        break;
    case P::Admitting:
    case P::Running:
        return;
    }
    drive(c);
}

void Reactor::arm(Connection& c, Clock::time_point when)
{
    if (c.deadline != Clock::time_point::max())
        _deadlines.erase({c.deadline, c.id});
    c.deadline = when;
    if (when != Clock::time_point::max())
        _deadlines.insert({when, c.id});
}

void Reactor::watch(Connection& c)
{
    std::uint32_t events = 0;
    if (readsInput(c.phase) || c.phase == Connection::Phase::Handshake)
        events |= EPOLLIN;
    if (c.hasOutput() || c.tlsWantsWrite)
        events |= EPOLLOUT;
    if (c.tlsWantsRead)
        events |= EPOLLIN;
    if (events == c.events)
        return;
    epoll_event ev {};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
}

void Reactor::close(Connection& c, const char* reason)
{
    if (c.closed())
        return;
    c.markClosed();
    if (c.stream)
        c.stream->detach();
    arm(c, Clock::time_point::max());
    epoll_ctl(_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    uncount(c);
    _metrics.connectionsOpen.Decrement();
    _metrics.connectionClosed(reason);
    _closed.push_back(c.id);
}

} // namespace clinic
