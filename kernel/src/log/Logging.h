#pragma once

#include <string>

#include <Poco/Channel.h>
#include <Poco/Message.h>

namespace clinic {

/// Sets up the root logger: one line per event on stderr, with level, source
/// and the current request id. format "journald" prefixes <N> priorities that
/// journald reads and drops the timestamp it adds itself; "auto" picks
/// journald when JOURNAL_STREAM is set.
void configureLogging(const std::string& level, const std::string& format);

/// Text a client sent (a path, a method, a header value), made safe for one
/// log line: control characters, DEL and bytes that are not valid UTF-8 are
/// written as \xHH, so a request cannot forge or break log lines.
std::string escapeForLog(const std::string& text);

/// The request id of the request this thread serves, "-" outside a request.
/// Scopes nest: the end of one gives back the id it replaced (the SQLite
/// writer runs other requests' writes on its own request's thread).
class RequestScope {
public:
    explicit RequestScope(const std::string& requestId);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

    static const std::string& current();

private:
    std::string _previous;
};

/// Writes formatted lines to stderr with one write() each, so lines from
/// several threads never interleave.
class StderrLineChannel : public Poco::Channel {
public:
    explicit StderrLineChannel(bool journald)
        : _journald(journald)
    {
    }
    void log(const Poco::Message& msg) override;

private:
    bool _journald;
};

} // namespace clinic
