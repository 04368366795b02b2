// Connection caps: one misbehaving terminal (or a script on the clinic LAN)
// cannot take every connection the daemon allows. A connection over the cap
// is answered 503 TOO_MANY_CONNECTIONS with Retry-After and closed, and a
// slot freed by a close is served again.

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

constexpr int kCap = 8;

/// kCap connections, each after one completed keep-alive request, so the
/// daemon has certainly accepted and counted them.
std::vector<RawConnection> fillToTheCap(const Daemon& d)
{
    std::vector<RawConnection> open;
    for (int i = 0; i < kCap; ++i) {
        open.emplace_back(d.port());
        open.back().send(getRequest("/health/live"));
        auto r = open.back().readResponse(3s);
        CPPUNIT_ASSERT_MESSAGE("connection " + std::to_string(i + 1) + " under the cap was not served", r);
        CPPUNIT_ASSERT_EQUAL(200, r->status);
    }
    return open;
}

void assertOverTheCapRefused(const Daemon& d)
{
    RawConnection extra(d.port());
    // The refusal may come before or instead of reading the request.
    extra.send(getRequest("/health/live"));
    auto r = extra.readResponse(3s);
    CPPUNIT_ASSERT_MESSAGE("no answer to the connection over the cap", r);
    assertEnvelope(*r, 503, "TOO_MANY_CONNECTIONS");
    CPPUNIT_ASSERT_MESSAGE("no Retry-After on the 503", !r->header("Retry-After").empty());
    CPPUNIT_ASSERT_MESSAGE("the connection over the cap stayed open", extra.closedWithin(3s));
}

/// After a close frees a slot, a new connection is served (the daemon may
/// take a moment to see the close).
void assertFreedSlotServed(const Daemon& d, std::vector<RawConnection>& open)
{
    open.front().close();
    int lastStatus = 0;
    const bool served = eventually(
        [&] {
            auto r = exchangeOnce(d.port(), getRequest("/health/live"), 1s);
            lastStatus = r ? r->status : 0;
            return lastStatus == 200;
        },
        5s);
    CPPUNIT_ASSERT_MESSAGE("after a close, a new connection got " + std::to_string(lastStatus), served);
}

} // namespace

class ConnectionCapTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConnectionCapTest);
    CPPUNIT_TEST(connectionOverThePerClientCapIs503AndClosed);
    CPPUNIT_TEST(connectionOverTheTotalCapIs503AndClosed);
    CPPUNIT_TEST_SUITE_END();

public:
    void connectionOverThePerClientCapIs503AndClosed()
    {
        Daemon::Options o;
        o.config["http.max_connections_per_client"] = std::to_string(kCap);
        Daemon d(o);
        auto open = fillToTheCap(d);
        assertOverTheCapRefused(d);
        assertFreedSlotServed(d, open);
    }

    void connectionOverTheTotalCapIs503AndClosed()
    {
        Daemon::Options o;
        o.config["http.max_connections"] = std::to_string(kCap);
        Daemon d(o);
        auto open = fillToTheCap(d);
        assertOverTheCapRefused(d);
        assertFreedSlotServed(d, open);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConnectionCapTest);
