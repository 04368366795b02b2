#include "log/Logging.h"

#include <unistd.h>

#include <cstdlib>

#include <Poco/AutoPtr.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>

namespace clinic {

namespace {

thread_local std::string tlsRequestId = "-";

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

int syslogPriority(Poco::Message::Priority p)
{
    // Poco priorities 1..8 map onto syslog 0(emerg)..7(debug), shifted by one.
    int v = static_cast<int>(p) - 1;
    return v > 7 ? 7 : v;
}

} // namespace

RequestScope::RequestScope(const std::string& requestId)
{
    tlsRequestId = requestId;
}
RequestScope::~RequestScope()
{
    tlsRequestId = "-";
}
const std::string& RequestScope::current()
{
    return tlsRequestId;
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
    line += tlsRequestId;
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
