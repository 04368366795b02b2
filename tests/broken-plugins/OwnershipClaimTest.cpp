// What a plugin owns, through the real clinicd: a plugin serving a route
// under the scheduling plugin's URL prefix, or publishing a service under
// another plugin's name or without a version, fails its start naming both;
// the daemon starts and keeps serving the rest.

#include <cppunit/extensions/HelperMacros.h>

#include "PluginChecks.h"
#include "TestSupport.h"

using namespace clinic::test;

class OwnershipClaimTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OwnershipClaimTest);
    CPPUNIT_TEST(aRouteUnderSchedulingsPrefixFailsThePluginAndSchedulingKeepsIt);
    CPPUNIT_TEST(aServiceUnderAnotherPluginsNameFailsThePlugin);
    CPPUNIT_TEST(aServiceWithoutAVersionFailsThePlugin);
    CPPUNIT_TEST(renderingErrorsUnderAnotherPluginsPrefixFailsThePlugin);
    CPPUNIT_TEST_SUITE_END();

public:
    void aRouteUnderSchedulingsPrefixFailsThePluginAndSchedulingKeepsIt()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,records,scheduling,broken_prefix_claim";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(client, "broken_prefix_claim",
            "plugin broken_prefix_claim may not serve route GET /api/v1/appointments/{id}/claimed: URL "
            "prefix "
            "/api/v1/appointments belongs to plugin scheduling");
        assertPluginStarted(client, "scheduling");
        CPPUNIT_ASSERT_EQUAL_MESSAGE("none of the failed plugin's routes is served", 404,
            client.get("/api/v1/broken_prefix_claim/own").status);
        CPPUNIT_ASSERT_EQUAL(404, client.get("/api/v1/appointments/1/claimed").status);
        auto locations = client.get("/api/v1/locations");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(locations.body, 200, locations.status);
        assertNotReadyBecauseOf(client, {"broken_prefix_claim"});
    }

    void aServiceUnderAnotherPluginsNameFailsThePlugin()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,broken_foreign_service";
        options.config["broken_foreign_service.name"] = "example.notes.v2";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(client, "broken_foreign_service",
            "plugin broken_foreign_service may not publish service example.notes.v2: the example.* service "
            "names belong to plugin example");
    }

    void aServiceWithoutAVersionFailsThePlugin()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,broken_foreign_service";
        options.config["broken_foreign_service.name"] = "broken_foreign_service.notes";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(client, "broken_foreign_service",
            "plugin broken_foreign_service may not publish service broken_foreign_service.notes: a service "
            "name "
            "ends in its interface version");
    }

    void renderingErrorsUnderAnotherPluginsPrefixFailsThePlugin()
    {
        Daemon::Options options;
        options.config["plugins.load"] = "example,records,scheduling,broken_error_claim";
        Daemon d(options);
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginFailed(client, "broken_error_claim",
            "plugin broken_error_claim may not render errors under /api/v1/appointments");
        auto missing = client.get("/api/v1/appointments/987654");
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), missing.errorCode());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OwnershipClaimTest);
