#include "StreamClient.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>

namespace clinic::test {

Poco::JSON::Object::Ptr StreamEvent::json() const
{
    Poco::JSON::Parser parser;
    return parser.parse(data).extract<Poco::JSON::Object::Ptr>();
}

StreamClient::StreamClient(int port, const std::string& accessToken, std::optional<std::int64_t> lastEventId,
    const std::string& query)
{
    _socket.connect(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
    std::string request = "GET /api/v1/events/stream" + query
        + " HTTP/1.1\r\nHost: clinic\r\nAccept: text/event-stream\r\nAuthorization: Bearer " + accessToken
        + "\r\n";
    if (lastEventId)
        request += "Last-Event-ID: " + std::to_string(*lastEventId) + "\r\n";
    request += "\r\n";
    _socket.sendBytes(request.data(), static_cast<int>(request.size()));
    _reader = std::thread([this] { read(); });
}

StreamClient::~StreamClient()
{
    close();
    if (_reader.joinable())
        _reader.join();
}

void StreamClient::close()
{
    try {
        _socket.shutdown();
    } catch (const Poco::Exception&) {
    }
}

void StreamClient::read()
{
    char buffer[8192];
    for (;;) {
        int n = 0;
        try {
            n = _socket.receiveBytes(buffer, sizeof buffer);
        } catch (const Poco::Exception&) {
            n = 0;
        }
        std::lock_guard<std::mutex> lock(_mutex);
        if (n <= 0) {
            _closed = true;
            if (!_headDone)
                _status = -1;
            _cv.notify_all();
            return;
        }
        _raw.append(buffer, static_cast<std::size_t>(n));
        parse();
        _cv.notify_all();
    }
}

void StreamClient::parse()
{
    if (!_headDone) {
        const auto end = _raw.find("\r\n\r\n");
        if (end == std::string::npos)
            return;
        _headDone = true;
        // "HTTP/1.1 200 OK"
        _status = std::stoi(_raw.substr(9, 3));
        _parsed = end + 4;
    }
    for (;;) {
        const auto end = _raw.find("\n\n", _parsed);
        if (end == std::string::npos)
            return;
        const std::string block = _raw.substr(_parsed, end - _parsed);
        _parsed = end + 2;
        StreamEvent e;
        e.arrived = std::chrono::steady_clock::now();
        bool any = false;
        std::size_t start = 0;
        while (start <= block.size()) {
            auto nl = block.find('\n', start);
            const std::string line
                = block.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
            start = nl == std::string::npos ? block.size() + 1 : nl + 1;
            if (line.empty() || line[0] == ':')
                continue;
            const auto colon = line.find(':');
            const std::string field = line.substr(0, colon);
            std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ')
                value.erase(0, 1);
            if (field == "id") {
                e.id = std::stoll(value);
                any = true;
            } else if (field == "event") {
                e.type = value;
                any = true;
            } else if (field == "data") {
                e.data += (e.data.empty() ? "" : "\n") + value;
                any = true;
            }
        }
        if (any)
            _events.push_back(std::move(e));
    }
}

int StreamClient::status()
{
    std::unique_lock<std::mutex> lock(_mutex);
    _cv.wait_for(lock, std::chrono::seconds(10), [&] { return _headDone || _closed; });
    return _status;
}

std::string StreamClient::text() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _raw;
}

bool StreamClient::waitFor(
    const std::function<bool(const std::vector<StreamEvent>&)>& pred, std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> lock(_mutex);
    return _cv.wait_for(lock, timeout, [&] { return pred(_events); });
}

bool StreamClient::waitOpened(std::chrono::milliseconds timeout)
{
    return waitFor(
        [](const std::vector<StreamEvent>& events) {
            for (const auto& e : events)
                if (e.type == "stream.opened")
                    return true;
            return false;
        },
        timeout);
}

bool StreamClient::waitClosed(std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> lock(_mutex);
    return _cv.wait_for(lock, timeout, [&] { return _closed; });
}

std::vector<StreamEvent> StreamClient::events() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _events;
}

std::vector<StreamEvent> StreamClient::eventsOf(const std::string& type) const
{
    std::vector<StreamEvent> out;
    for (auto& e : events())
        if (e.type == type)
            out.push_back(e);
    return out;
}

std::int64_t StreamClient::lastId() const
{
    std::int64_t last = 0;
    for (const auto& e : events())
        if (e.id)
            last = *e.id;
    return last;
}

} // namespace clinic::test
