// A plugin that registers GET /health/live, a route the kernel serves
// itself: the plugin's start must fail naming the kernel as the owner, and
// the daemon must start and keep serving its own liveness route.

#include <cppunit/extensions/HelperMacros.h>

#include "PluginChecks.h"
#include "TestSupport.h"

using namespace clinic::test;

class KernelRouteClaimTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KernelRouteClaimTest);
    CPPUNIT_TEST(pluginClaimingAKernelRouteFailsAndTheKernelKeepsIt);
    CPPUNIT_TEST_SUITE_END();

public:
    void pluginClaimingAKernelRouteFailsAndTheKernelKeepsIt()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,broken_duplicate_route";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(
            client, "broken_duplicate_route", "route GET /health/live is already declared by kernel");
        auto live = client.get("/health/live");
        CPPUNIT_ASSERT_EQUAL(200, live.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            live.body, std::string("ok"), live.json()->getValue<std::string>("status"));
        assertNotReadyBecauseOf(client, {"broken_duplicate_route"});
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelRouteClaimTest);
