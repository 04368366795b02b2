#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "clinic/Http.h"

namespace clinic {

/// The server side of an EventStream: plugins queue events from any thread,
/// the reactor takes them for the connection when woken. Detached once the
/// client goes or the server stops, after which sends are refused.
class StreamChannel : public EventStream {
public:
    /// wake(connection) tells the reactor there is something to take.
    StreamChannel(std::uint64_t connection, std::function<void(std::uint64_t)> wake);

    bool send(const std::string& event, const std::string& data) override;
    /// The same with an id: line, which the client sends back as
    /// Last-Event-ID when it reconnects.
    bool sendWithId(std::int64_t id, const std::string& event, const std::string& data);
    bool connected() const override;
    void close() override;

    /// Reactor: queues a heartbeat comment.
    void heartbeat();
    /// Reactor: the bytes queued so far; closing is set once the plugin ended the stream.
    std::string take(bool& closing);
    /// Reactor: the connection is gone; later sends return false.
    void detach();

    /// One event in text/event-stream framing.
    static std::string format(const std::string& event, const std::string& data);
    static std::string format(std::int64_t id, const std::string& event, const std::string& data);

private:
    void queue(const std::string& bytes);

    const std::uint64_t _connection;
    mutable std::mutex _mutex;
    std::function<void(std::uint64_t)> _wake;
    std::string _pending;
    bool _open = true;
    bool _closing = false;
};

} // namespace clinic
