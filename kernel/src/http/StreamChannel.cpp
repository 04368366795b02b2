#include "http/StreamChannel.h"

namespace clinic {

StreamChannel::StreamChannel(std::uint64_t connection, std::function<void(std::uint64_t)> wake)
    : _connection(connection)
    , _wake(std::move(wake))
{
}

std::string StreamChannel::format(const std::string& event, const std::string& data)
{
    std::string out;
    // A line break in the event name would end the field early: it is dropped.
    if (!event.empty()) {
        out += "event: ";
        for (char c : event)
            if (c != '\r' && c != '\n')
                out += c;
        out += "\n";
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = data.find('\n', start);
        std::string line = data.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        out += "data: " + line + "\n";
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return out + "\n";
}

std::string StreamChannel::format(std::int64_t id, const std::string& event, const std::string& data)
{
    return "id: " + std::to_string(id) + "\n" + format(event, data);
}

void StreamChannel::queue(const std::string& bytes)
{
    // The wake-up is sent under the lock, so detach() (which clears it) cannot
    // race with a reactor that is going away.
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_open)
        return;
    _pending += bytes;
    if (_wake)
        _wake(_connection);
}

bool StreamChannel::send(const std::string& event, const std::string& data)
{
    if (!connected())
        return false;
    queue(format(event, data));
    return connected();
}

bool StreamChannel::sendWithId(std::int64_t id, const std::string& event, const std::string& data)
{
    if (!connected())
        return false;
    queue(format(id, event, data));
    return connected();
}

bool StreamChannel::connected() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    return _open && !_closing;
}

void StreamChannel::close()
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (!_open || _closing)
        return;
    _closing = true;
    if (_wake)
        _wake(_connection);
}

void StreamChannel::heartbeat()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _pending += ": heartbeat\n\n";
}

std::string StreamChannel::take(bool& closing)
{
    std::lock_guard<std::mutex> lock(_mutex);
    closing = _closing;
    std::string out;
    out.swap(_pending);
    return out;
}

void StreamChannel::detach()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _open = false;
    _wake = nullptr;
    _pending.clear();
}

} // namespace clinic
