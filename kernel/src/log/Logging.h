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

/// The syslog priority journald reads from a line's <N> prefix for a Poco
/// priority: information 6, notice 5, error 3, critical and fatal 2 (never
/// emergency or alert, which journald broadcasts to every terminal).
int syslogPriority(Poco::Message::Priority p);

/// What every log line names about the request being served.
struct RequestLogContext {
    std::string requestId = "-";
    std::string client; ///< the client's address; empty outside a request
    std::string user; ///< the signed-in account's name, once known
};

/// The request this thread serves: its id, "-" outside a request, and the
/// client address and user that each line logged while serving it carries.
/// Scopes nest: the end of one gives back what it replaced (the SQLite
/// writer runs other requests' writes on its own request's thread).
class RequestScope {
public:
    explicit RequestScope(
        const std::string& requestId, const std::string& client = "", const std::string& user = "");
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

    static const std::string& current();
    /// Names the signed-in user of the current scope, once authenticated.
    static void identify(const std::string& user);

private:
    RequestLogContext _previous;
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
