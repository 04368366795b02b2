// Deadlines for a request's head and body: a terminal on a flaky clinic LAN
// (or anything else that drips bytes) is answered 408 and closed once its
// deadline passes, and while such clients wait the daemon keeps answering
// everyone else at once, even with only two worker threads.

#include <cppunit/extensions/HelperMacros.h>

#include <thread>
#include <vector>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

constexpr int kHeaderTimeoutSeconds = 2;
constexpr int kBodyMinBytesPerSecond = 1024;
constexpr int kBodyLength = 1000;
/// How late past its deadline a 408 may come: scheduling, a busy machine.
constexpr double kSlackMs = 1500;

Daemon::Options deadlineDaemon()
{
    Daemon::Options o;
    o.config["http.header_timeout_seconds"] = std::to_string(kHeaderTimeoutSeconds);
    o.config["http.body_min_bytes_per_second"] = std::to_string(kBodyMinBytesPerSecond);
    o.config["http.threads"] = "2";
    return o;
}

/// A public route that reads a body: no 401 can come before the body.
std::string slowBodyHead()
{
    return "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Content-Length: "
        + std::to_string(kBodyLength) + "\r\n\r\n";
}

/// The latest a slow body may be refused, from the end of its head: the
/// grace of header_timeout_seconds, then the whole body at the minimum rate.
double bodyDeadlineMs()
{
    return kHeaderTimeoutSeconds * 1000.0 + 1000.0 * kBodyLength / kBodyMinBytesPerSecond;
}

void assertRefused408(const TrickleOutcome& o, double deadlineMs, const std::string& what)
{
    CPPUNIT_ASSERT_MESSAGE(what + ": could not connect: " + o.failure, o.failure.empty());
    CPPUNIT_ASSERT_MESSAGE(what + ": no answer within "
            + std::to_string(static_cast<long>(deadlineMs + kSlackMs)) + " ms"
            + (o.closed ? " (closed without one after " + std::to_string(static_cast<long>(o.answeredAfterMs))
                        + " ms)"
                        : ""),
        o.status != 0);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what, 408, o.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string("REQUEST_TIMEOUT"), o.code);
    CPPUNIT_ASSERT_MESSAGE(
        what + ": answered after " + std::to_string(static_cast<long>(o.answeredAfterMs)) + " ms",
        o.answeredAfterMs <= deadlineMs + kSlackMs);
    CPPUNIT_ASSERT_MESSAGE(what + ": the connection stayed open after the 408", o.closed);
}

} // namespace

class DeadlineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DeadlineTest);
    CPPUNIT_TEST(headDrippedByteByByteIs408ByTheHeaderDeadline);
    CPPUNIT_TEST(bodyDrippedByteByByteIs408ByTheBodyDeadline);
    CPPUNIT_TEST(the408IsInTheEnvelopeAndClosesTheConnection);
    CPPUNIT_TEST(slowClientsDoNotDelayOthersWithTwoWorkers);
    CPPUNIT_TEST_SUITE_END();

public:
    void headDrippedByteByByteIs408ByTheHeaderDeadline()
    {
        Daemon d(deadlineDaemon());
        const double deadline = kHeaderTimeoutSeconds * 1000.0;
        auto o
            = trickleHead(d.port(), 500ms, std::chrono::milliseconds(static_cast<long>(deadline + kSlackMs)));
        assertRefused408(o, deadline, "a head sent one byte each 0.5 s");
        assertStillServing(d);
    }

    void bodyDrippedByteByByteIs408ByTheBodyDeadline()
    {
        Daemon d(deadlineDaemon());
        auto o = trickleBody(d.port(), slowBodyHead(), 1000ms,
            std::chrono::milliseconds(static_cast<long>(bodyDeadlineMs() + kSlackMs)));
        assertRefused408(o, bodyDeadlineMs(), "a body sent one byte a second");
        assertStillServing(d);
    }

    void the408IsInTheEnvelopeAndClosesTheConnection()
    {
        Daemon d(deadlineDaemon());
        RawConnection conn(d.port());
        // Half a head, then silence: the same deadline as a drip.
        conn.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Terminal: desk-2\r\n");
        auto r = conn.readResponse(std::chrono::milliseconds(kHeaderTimeoutSeconds * 1000 + 1500));
        CPPUNIT_ASSERT_MESSAGE("no 408 for a head left unfinished", r);
        assertEnvelope(*r, 408, "REQUEST_TIMEOUT");
        CPPUNIT_ASSERT_EQUAL(std::string("close"), lowerCase(r->header("Connection")));
        CPPUNIT_ASSERT(conn.closedWithin(2s));
    }

    void slowClientsDoNotDelayOthersWithTwoWorkers()
    {
        Daemon d(deadlineDaemon());
        std::atomic<bool> stop {false};
        std::vector<std::thread> slow;
        std::atomic<int> opened {0};
        // Eight slow clients at all times (each reconnects once refused):
        // four dripping a head, four dripping a body.
        for (int i = 0; i < 8; ++i)
            slow.emplace_back([&, i] {
                while (!stop) {
                    ++opened;
                    if (i % 2 == 0)
                        trickleHead(d.port(), 500ms, 30s, &stop);
                    else
                        trickleBody(d.port(), slowBodyHead(), 1000ms, 30s, &stop);
                }
            });
        CPPUNIT_ASSERT(eventually([&] { return opened >= 8; }, 5s));

        std::vector<double> late;
        double worst = 0;
        const auto until = std::chrono::steady_clock::now() + 5s;
        int probes = 0;
        while (std::chrono::steady_clock::now() < until) {
            const auto t0 = std::chrono::steady_clock::now();
            std::optional<HttpResult> r;
            try {
                r = exchangeOnce(d.port(), getRequest("/health/live", "Connection: close\r\n"), 1s);
            } catch (const std::exception&) {
            }
            const double ms = millisSince(t0);
            worst = std::max(worst, ms);
            if (!r || r->status != 200 || ms > 200)
                late.push_back(ms);
            ++probes;
            std::this_thread::sleep_for(100ms);
        }
        stop = true;
        for (auto& t : slow)
            t.join();
        CPPUNIT_ASSERT_MESSAGE(std::to_string(late.size()) + " of " + std::to_string(probes)
                + " GET /health/live beside 8 slow clients took over 200 ms or failed (worst "
                + std::to_string(static_cast<int>(worst)) + " ms, the probe gives up at 1000)",
            late.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DeadlineTest);
