// Signals as systemd sends them: SIGHUP reloads and keeps serving, SIGTERM
// lets in-flight requests finish, exits 0 and stops listening.

#include <cppunit/extensions/HelperMacros.h>

#include <signal.h>

#include <atomic>
#include <future>
#include <regex>
#include <thread>

#include "IntegrationSupport.h"

using namespace clinic::test;

namespace {

int reloadsSeen(HttpClient& c, const std::string& noteId)
{
    auto r = c.get("/api/v1/example/notes/" + noteId);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getValue<int>("reloads");
}

} // namespace

class SignalsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SignalsTest);
    CPPUNIT_TEST(sighupRunsReloadHooksAndKeepsServing);
    CPPUNIT_TEST(sigtermLetsAnInFlightRequestFinishThenExitsZeroAndStopsListening);
    CPPUNIT_TEST(sigtermOnAnIdleDaemonExitsPromptly);
    CPPUNIT_TEST_SUITE_END();

public:
    void sighupRunsReloadHooksAndKeepsServing()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);
        auto c = d.client();
        auto note = c.post("/api/v1/example/notes", "{\"text\":\"reload me\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(note.body, 201, note.status);
        const std::string id = note.json()->getValue<std::string>("id");
        const int before = reloadsSeen(c, id);
        CPPUNIT_ASSERT_EQUAL(0, before);

        d.signal(SIGHUP);
        CPPUNIT_ASSERT_MESSAGE(d.log(), eventually([&] { return reloadsSeen(c, id) == before + 1; }));
        d.signal(SIGHUP);
        CPPUNIT_ASSERT_MESSAGE(d.log(), eventually([&] { return reloadsSeen(c, id) == before + 2; }));

        CPPUNIT_ASSERT(d.running());
        auto another = c.post("/api/v1/example/notes", "{\"text\":\"after reload\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(another.body, 201, another.status);
        assertStillServing(d);
        CPPUNIT_ASSERT_EQUAL(0, d.stop(SIGTERM, 15));
    }

    void sigtermLetsAnInFlightRequestFinishThenExitsZeroAndStopsListening()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "testkit";
        Daemon d(o);
        const int port = d.port();

        auto slow = std::async(std::launch::async, [port] {
            HttpClient c("127.0.0.1", port);
            c.setTimeout(20);
            return c.get("/api/v1/testkit/slow?ms=1500", {{"X-Request-ID", "slow-1"}});
        });
        // Signal only once the handler is running, not merely connected.
        CPPUNIT_ASSERT_MESSAGE(d.log(), eventually([&] {
            return std::regex_search(d.log(), std::regex("req=slow-1 [^\n]*slow request started"));
        }));
        const auto signalled = std::chrono::steady_clock::now();
        d.signal(SIGTERM);

        auto r = slow.get();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body + "\n" + d.log(), 200, r.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1500), r.json()->getValue<Poco::Int64>("slept_ms"));

        const int code = d.waitExit(15);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(d.log(), 0, code);
        // It waited for the request, but not for the whole drain period.
        const auto took = std::chrono::steady_clock::now() - signalled;
        CPPUNIT_ASSERT_MESSAGE(d.log(), took < std::chrono::milliseconds(4500));
        CPPUNIT_ASSERT(!acceptsConnections(port));
    }

    void sigtermOnAnIdleDaemonExitsPromptly()
    {
        // An idle keep-alive connection must not hold the exit for the drain period.
        Daemon d;
        auto c = d.client();
        CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
        const auto signalled = std::chrono::steady_clock::now();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(d.log(), 0, d.stop(SIGTERM, 15));
        CPPUNIT_ASSERT_MESSAGE(
            d.log(), std::chrono::steady_clock::now() - signalled < std::chrono::seconds(3));
        CPPUNIT_ASSERT(!acceptsConnections(d.port()));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SignalsTest);
