// Server-sent event streams: a handler returns Response::stream, the plugin
// pushes events from any thread, the connection holds no worker while open,
// and the plugin learns when the client has gone.

#include <string>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include "IntegrationSupport.h"

using namespace clinic::test;

namespace {

/// Opens the testkit's stream and reads until `want` appears or 10 s pass.
std::string readStream(Poco::Net::StreamSocket& s, int port, const std::string& want)
{
    s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
    s.setReceiveTimeout(Poco::Timespan(10, 0));
    const std::string request = "GET /api/v1/testkit/events?count=3 HTTP/1.1\r\nHost: clinic\r\n\r\n";
    s.sendBytes(request.data(), static_cast<int>(request.size()));
    std::string text;
    char buffer[4096];
    while (text.find(want) == std::string::npos) {
        const int n = s.receiveBytes(buffer, sizeof buffer);
        if (n <= 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

bool streamConnected(Daemon& d)
{
    auto r = d.client().get("/api/v1/testkit/events/state");
    return r.status == 200 && r.json()->getValue<bool>("connected");
}

} // namespace

class EventStreamTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventStreamTest);
    CPPUNIT_TEST(eventsArriveInOrderInEventStreamFraming);
    CPPUNIT_TEST(anOpenStreamHoldsNoWorker);
    CPPUNIT_TEST(thePluginLearnsWhenTheClientHasGone);
    CPPUNIT_TEST_SUITE_END();

public:
    void eventsArriveInOrderInEventStreamFraming()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "testkit";
        Daemon d(o);
        Poco::Net::StreamSocket s;
        const std::string text = readStream(s, d.port(), "n=2\ndata: second line\n\n");
        CPPUNIT_ASSERT_MESSAGE(text, text.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Content-Type: text/event-stream") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Content-Length") == std::string::npos);
        const auto first = text.find("event: tick\ndata: n=0\ndata: second line\n\n");
        const auto last = text.find("event: tick\ndata: n=2\ndata: second line\n\n");
        CPPUNIT_ASSERT_MESSAGE(text, first != std::string::npos && last != std::string::npos && first < last);
    }

    void anOpenStreamHoldsNoWorker()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "testkit";
        o.config["http.threads"] = "1";
        Daemon d(o);
        Poco::Net::StreamSocket s1;
        Poco::Net::StreamSocket s2;
        CPPUNIT_ASSERT(readStream(s1, d.port(), "n=2").find("n=2") != std::string::npos);
        CPPUNIT_ASSERT(readStream(s2, d.port(), "n=2").find("n=2") != std::string::npos);
        // Two streams open and one worker: it is still free for requests.
        auto c = d.client();
        c.setTimeout(5);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
    }

    void thePluginLearnsWhenTheClientHasGone()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "testkit";
        Daemon d(o);
        {
            Poco::Net::StreamSocket s;
            CPPUNIT_ASSERT(readStream(s, d.port(), "n=2").find("n=2") != std::string::npos);
            CPPUNIT_ASSERT(streamConnected(d));
            s.close();
        }
        CPPUNIT_ASSERT_MESSAGE(d.log(), eventually([&] { return !streamConnected(d); }));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventStreamTest);
