#pragma once

// A live-updates client for the stream suites: GET /api/v1/events/stream on
// a real socket with a bearer token, read on a thread of its own and parsed
// into events, as the console's fetch() reader does.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/Net/StreamSocket.h>

namespace clinic::test {

/// One server-sent event.
struct StreamEvent {
    std::optional<std::int64_t> id;
    std::string type;
    std::string data;
    /// When the event's last byte arrived.
    std::chrono::steady_clock::time_point arrived;
    /// data parsed as a JSON object.
    Poco::JSON::Object::Ptr json() const;
};

class StreamClient {
public:
    /// Opens the stream; lastEventId (if any) goes in the Last-Event-ID header.
    StreamClient(int port, const std::string& accessToken, std::optional<std::int64_t> lastEventId = {},
        const std::string& query = "");
    ~StreamClient();
    StreamClient(const StreamClient&) = delete;
    StreamClient& operator=(const StreamClient&) = delete;

    /// The answer's status once its head arrived (0 before, -1 if it never did).
    int status();
    /// The whole answer so far (head and body).
    std::string text() const;
    /// Waits up to timeout for pred over the events so far.
    bool waitFor(const std::function<bool(const std::vector<StreamEvent>&)>& pred,
        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Waits for the stream.opened event: from then on, changes reach this stream.
    bool waitOpened(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Waits until the server closed the connection.
    bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The events so far.
    std::vector<StreamEvent> events() const;
    /// The events so far of one type.
    std::vector<StreamEvent> eventsOf(const std::string& type) const;
    /// The id of the last event that carried one (0 if none did).
    std::int64_t lastId() const;
    /// Drops the connection from this end.
    void close();

private:
    void read();
    void parse();

    Poco::Net::StreamSocket _socket;
    mutable std::mutex _mutex;
    std::condition_variable _cv;
    std::string _raw;
    std::size_t _parsed = 0;
    bool _headDone = false;
    int _status = 0;
    bool _closed = false;
    std::vector<StreamEvent> _events;
    std::thread _reader;
};

} // namespace clinic::test
