#include "log/Logging.h"

#include <unistd.h>

#include <cstdlib>

#include <Poco/AutoPtr.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

namespace clinic {

namespace {

thread_local RequestLogContext tlsRequest;

const char* levelName(Poco::Message::Priority p)
{
    switch (p) {
    case Poco::Message::PRIO_FATAL:
        return "fatal";
    case Poco::Message::PRIO_CRITICAL:
        return "crit";
    case Poco::Message::PRIO_ERROR:
        return "error";
    case Poco::Message::PRIO_WARNING:
        return "warn";
    case Poco::Message::PRIO_NOTICE:
        return "notice";
    case Poco::Message::PRIO_INFORMATION:
        return "info";
    case Poco::Message::PRIO_DEBUG:
        return "debug";
    default:
        return "trace";
    }
}

} // namespace

int syslogPriority(Poco::Message::Priority p)
{
    // Poco's critical(2) .. debug(7) are syslog's crit(2) .. debug(7) by
    // number. Poco's fatal (1) is a failure of this one daemon, not of the
    // machine: syslog's emerg and alert are broadcast by journald to every
    // terminal, so it goes out as crit; trace goes out as debug.
    const int v = static_cast<int>(p);
    if (v < 2)
        return 2;
    return v > 7 ? 7 : v;
}

namespace {

/// The length of the valid UTF-8 sequence at text[at], or 0.
std::size_t utf8Length(const std::string& text, std::size_t at)
{
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    std::size_t length = 0;
    unsigned char min2 = 0x80;
    unsigned char max2 = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            min2 = 0xA0; // overlong
        if (lead == 0xED)
            max2 = 0x9F; // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            min2 = 0x90;
        if (lead == 0xF4)
            max2 = 0x8F;
    } else {
        return 0;
    }
    if (at + length > text.size() || byte(at + 1) < min2 || byte(at + 1) > max2)
        return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (byte(at + i) < 0x80 || byte(at + i) > 0xBF)
            return 0;
    return length;
}

} // namespace

std::string escapeForLog(const std::string& text)
{
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t keep = 0;
        if (c >= 0x20 && c < 0x7f)
            keep = 1;
        else if (c >= 0x80)
            keep = utf8Length(text, i);
        if (keep) {
            out.append(text, i, keep);
            i += keep;
            continue;
        }
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 0xF];
        ++i;
    }
    return out;
}

RequestScope::RequestScope(const std::string& requestId, const std::string& client, const std::string& user)
    : _previous(std::move(tlsRequest))
{
    tlsRequest = RequestLogContext {requestId, client, user};
}
RequestScope::~RequestScope()
{
    tlsRequest = std::move(_previous);
}
const std::string& RequestScope::current()
{
    return tlsRequest.requestId;
}
void RequestScope::identify(const std::string& user)
{
    tlsRequest.user = user;
}

void StderrLineChannel::log(const Poco::Message& msg)
{
    std::string line;
    line.reserve(128 + msg.getText().size());
    if (_journald) {
        line += '<';
        line += std::to_string(syslogPriority(msg.getPriority()));
        line += '>';
    } else {
        line += Poco::DateTimeFormatter::format(msg.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
        line += ' ';
    }
    line += levelName(msg.getPriority());
    line += " [";
    line += msg.getSource();
    line += "] req=";
    line += tlsRequest.requestId;
    // Who a request came from, on every line logged while it is served: an
    // operator reading one failure sees the terminal and the account without
    // joining it to an access log by id. Both were escaped by the scope.
    if (!tlsRequest.client.empty()) {
        line += " client=";
        line += tlsRequest.client;
        line += " user=";
        line += tlsRequest.user.empty() ? std::string("-") : tlsRequest.user;
    }
    line += ' ';
    for (char c : msg.getText())
        line += (c == '\n' || c == '\r') ? ' ' : c; // one event, one line
    line += '\n';
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0)
            break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void configureLogging(const std::string& level, const std::string& format)
{
    bool journald = format == "journald" || (format == "auto" && std::getenv("JOURNAL_STREAM"));
    Poco::AutoPtr<Poco::Channel> channel(new StderrLineChannel(journald));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
    // Loggers created before this point keep their old channel and level.
    std::vector<std::string> names;
    Poco::Logger::names(names);
    for (const auto& name : names) {
        Poco::Logger::get(name).setChannel(channel);
        Poco::Logger::get(name).setLevel(level);
    }
}

} // namespace clinic
