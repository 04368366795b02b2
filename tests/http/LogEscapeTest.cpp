// The log is read on a terminal and shipped to journald: a request path
// carrying control characters (an ESC starts a terminal escape sequence that
// can rewrite what an administrator sees) is logged with each of them
// escaped as \xHH, whether it came raw or percent-encoded.

#include <cppunit/extensions/HelperMacros.h>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

Daemon::Options loggingDaemon()
{
    Daemon::Options o;
    o.config["log.level"] = "debug"; // every request line is logged
    return o;
}

bool hasEscapedEsc(const std::string& log, const std::string& around)
{
    return log.find(around + "\\x1b") != std::string::npos || log.find(around + "\\x1B") != std::string::npos;
}

/// Waits until a marker request on a fresh connection is logged: any line
/// for the requests sent before it has been written by then.
void syncLog(const Daemon& d, const std::string& marker)
{
    exchangeOnce(d.port(), getRequest(marker));
    CPPUNIT_ASSERT_MESSAGE("the marker request was never logged",
        eventually([&] { return d.log().find(marker) != std::string::npos; }, 5s));
}

} // namespace

class LogEscapeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogEscapeTest);
    CPPUNIT_TEST(percentEncodedEscInAPathIsLoggedAsHexEscape);
    CPPUNIT_TEST(rawEscInAPathNeverReachesTheLog);
    CPPUNIT_TEST_SUITE_END();

public:
    void percentEncodedEscInAPathIsLoggedAsHexEscape()
    {
        Daemon d(loggingDaemon());
        auto r = exchangeOnce(d.port(), getRequest("/reception%1b[2J%1b[31mcleared"));
        CPPUNIT_ASSERT_MESSAGE("no answer", r);
        syncLog(d, "/log-escape-marker-1");
        const std::string log = d.log();
        CPPUNIT_ASSERT_MESSAGE("an ESC byte reached the log", log.find('\x1b') == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("the request line is not logged with \\x1b: "
                + log.substr(log.size() > 3000 ? log.size() - 3000 : 0),
            hasEscapedEsc(log, "/reception"));
        assertStillServing(d);
    }

    void rawEscInAPathNeverReachesTheLog()
    {
        Daemon d(loggingDaemon());
        // The daemon may refuse such a target or serve it; either way the
        // byte must not be written to the log as it came.
        exchangeOnce(d.port(), getRequest("/reception\x1b[2J\x1b[31mcleared"));
        exchangeOnce(d.port(), getRequest("/api/v1/patients/\x1b]0;owned\x07"));
        syncLog(d, "/log-escape-marker-2");
        const std::string log = d.log();
        CPPUNIT_ASSERT_MESSAGE("an ESC byte reached the log", log.find('\x1b') == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("a BEL byte reached the log", log.find('\x07') == std::string::npos);
        assertStillServing(d);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogEscapeTest);
