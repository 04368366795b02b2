#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/Exchange.h"
#include "http/RequestParser.h"
#include "http/StreamChannel.h"

typedef struct ssl_st SSL;

namespace clinic {

using Clock = std::chrono::steady_clock;

/// One client connection, owned by the reactor thread. It knows how to move
/// bytes without blocking (plain or TLS); the reactor decides what they mean.
class Connection {
public:
    /// Where the connection is in its request cycle.
    enum class Phase {
        Handshake, ///< TLS handshake, bound by the head deadline
        Idle, ///< no byte of the next request yet (keep-alive deadline)
        Head, ///< reading the request line and headers (head deadline)
        Admitting, ///< a worker checks route, caller and body size
        Body, ///< reading the admitted body (minimum rate)
        Running, ///< a worker runs the handler
        Writing, ///< sending the answer (write deadline)
        Lingering, ///< answered and half-closed: reading and dropping what the client still sends
        Streaming, ///< an event stream: writing what the plugin queues, reading only to see the client go
    };

    enum class Io { Done, WouldBlock, Eof, Error };

    Connection(std::uint64_t id, int fd, SSL* ssl, std::string client);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Drives the TLS handshake; Done once it is complete.
    Io handshake();
    /// Appends what the socket has (at most maxBytes) to buffer.
    Io read(std::string& buffer, std::size_t maxBytes);
    /// Writes pending output; Done once all of it is sent.
    Io flush();
    /// Sends close_notify (TLS) and a FIN, so the client reads the answer
    /// to its end instead of meeting a reset.
    void shutdownWrite();
    /// Reads and drops raw bytes (lingering); returns how many, or -1 at EOF or error.
    long discard();

    bool hasOutput() const { return _outSent < _out.size(); }
    std::size_t pendingOutput() const { return _out.size() - _outSent; }
    bool closed() const { return _closed; }
    void markClosed() { _closed = true; }
    void queue(const std::string& bytes) { _out += bytes; }

    const std::uint64_t id;
    const int fd;
    const std::string client;
    SSL* const ssl;

    Phase phase = Phase::Idle;
    std::string in; ///< received and not yet parsed
    std::unique_ptr<Exchange> exchange;
    std::optional<BodyDecoder> body;
    std::shared_ptr<StreamChannel> stream; ///< set once the answer is an event stream
    bool streamEnding = false; ///< the plugin closed the stream: linger once it is sent
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point phaseStarted = Clock::now();
    bool closeAfterWrite = false;
    bool refuseAfterHandshake = false; ///< over a connection cap: 503 once TLS is up
    bool counted = false; ///< counted against the connection caps
    const char* closeReason = "server";
    std::size_t lingered = 0;
    bool tlsWantsRead = false; ///< TLS needs the socket readable to go on
    bool tlsWantsWrite = false; ///< TLS needs the socket writable to go on
    std::uint32_t events = 0; ///< what epoll watches for now

private:
    Io tlsResult(int rc, bool& wantRead, bool& wantWrite);

    std::string _out;
    std::size_t _outSent = 0;
    bool _closed = false;
};

} // namespace clinic
