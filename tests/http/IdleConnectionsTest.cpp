// Idle connections cost no worker: every reception terminal, kiosk and
// console tab keeps a keep-alive connection open all day, so hundreds sit
// idle at once; with two worker threads a fresh request must still be
// answered at once, and the daemon must not grow a thread per connection.

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

constexpr int kKeptAlive = 150; ///< after one completed request each
constexpr int kSilent = 150; ///< connected, never sent a byte
constexpr int kProbes = 50;

} // namespace

class IdleConnectionsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IdleConnectionsTest);
    CPPUNIT_TEST(threeHundredIdleConnectionsDoNotDelayFreshRequests);
    CPPUNIT_TEST_SUITE_END();

public:
    void threeHundredIdleConnectionsDoNotDelayFreshRequests()
    {
        // The daemon inherits this limit: both ends hold 300+ sockets.
        CPPUNIT_ASSERT(raiseOpenFileLimit(4096) >= kKeptAlive + kSilent + 200);
        Daemon::Options o;
        o.config["http.threads"] = "2";
        o.config["http.keep_alive_seconds"] = "120";
        Daemon d(o);
        const long threadsBefore = footprintOf(d.pid()).threads;

        // All keep-alive requests go out together and are collected with one
        // deadline, so a daemon that serialises them fails fast, not slowly.
        std::vector<RawConnection> keptAlive;
        for (int i = 0; i < kKeptAlive; ++i) {
            keptAlive.emplace_back(d.port());
            keptAlive.back().send(getRequest("/health/live"));
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        int answered = 0;
        for (auto& c : keptAlive) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto r = c.readResponse(std::max(left, 1ms));
            answered += r && r->status == 200;
        }
        std::vector<RawConnection> silent;
        for (int i = 0; i < kSilent; ++i)
            silent.emplace_back(d.port());
        const long threadsAfter = footprintOf(d.pid()).threads;

        std::vector<double> ms;
        int failed = 0;
        for (int i = 0; i < kProbes; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            std::optional<HttpResult> r;
            try {
                r = exchangeOnce(d.port(), getRequest("/health/live", "Connection: close\r\n"), 250ms);
            } catch (const std::exception&) {
            }
            ms.push_back(millisSince(t0));
            failed += !r || r->status != 200 || ms.back() > 200;
        }
        int stillOpen = 0;
        for (auto& c : keptAlive)
            stillOpen += !c.closedWithin(0ms);

        double worst = 0;
        for (double m : ms)
            worst = std::max(worst, m);
        // Every figure in every message: one failing check must not hide the others.
        const std::string figures = "keep-alive answered " + std::to_string(answered) + "/"
            + std::to_string(kKeptAlive) + ", probes failed or over 200 ms " + std::to_string(failed) + "/"
            + std::to_string(kProbes) + " (worst " + std::to_string(static_cast<int>(worst))
            + " ms, each gives up at 250), threads " + std::to_string(threadsBefore) + " -> "
            + std::to_string(threadsAfter) + ", kept-alive still open " + std::to_string(stillOpen);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(figures, kKeptAlive, answered);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(figures, 0, failed);
        CPPUNIT_ASSERT_MESSAGE(figures, threadsAfter - threadsBefore <= 4);
        // keep_alive_seconds is 120: none of them may have been dropped.
        CPPUNIT_ASSERT_EQUAL_MESSAGE(figures, kKeptAlive, stillOpen);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdleConnectionsTest);
