// What a plugin owns: service names (<plugin>.<service>.v<N>, checked as it
// publishes, staged until it starts) and URL prefixes (UrlOwners).

#include <functional>
#include <memory>
#include <stdexcept>

#include <cppunit/extensions/HelperMacros.h>

#include "clinic/Access.h"
#include "clinic/Patients.h"
#include "host/PluginServices.h"
#include "host/UrlOwners.h"

using clinic::PluginServices;
using clinic::ServiceTable;
using clinic::UrlOwners;

namespace {

struct Token {
    int value = 0;
};

clinic::Route route(const std::string& method, const std::string& pattern)
{
    return clinic::Route(
        method, pattern, clinic::Access::open(),
        [](clinic::Request&) { return clinic::Response::noContent(); }, "test");
}

std::string refusal(const std::function<void()>& fn)
{
    try {
        fn();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

} // namespace

class OwnershipTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OwnershipTest);
    CPPUNIT_TEST(aPluginPublishesVersionedNamesUnderItsOwnName);
    CPPUNIT_TEST(anotherPluginsNameIsRefusedNamingBoth);
    CPPUNIT_TEST(theKernelsInterfacesMayBeProvidedByAnyPlugin);
    CPPUNIT_TEST(publishedServicesReachTheKernelOnlyOnCommit);
    CPPUNIT_TEST(aRouteUnderAnotherPluginsPrefixIsRefused);
    CPPUNIT_TEST(overlappingPrefixesAreRefused);
    CPPUNIT_TEST_SUITE_END();

public:
    void aPluginPublishesVersionedNamesUnderItsOwnName()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string(), clinic::serviceNameProblem("scheduling", "scheduling.appointments.v1"));
        CPPUNIT_ASSERT_EQUAL(std::string(), clinic::serviceNameProblem("my_plugin", "my_plugin.notes.v12"));
        for (const std::string bad : {"scheduling.appointments", "scheduling.appointments.v0",
                 "scheduling.appointments.v1x", "scheduling.v1", "scheduling", "scheduling..x.v1",
                 "Scheduling.appointments.v1", "scheduling.appointments.v1."}) {
            const auto problem = clinic::serviceNameProblem("scheduling", bad);
            CPPUNIT_ASSERT_MESSAGE(bad + " should be refused", !problem.empty());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("a service name ends in its interface version, as in "
                                         "scheduling.<service>.v1"),
            clinic::serviceNameProblem("scheduling", "scheduling.appointments"));
    }

    void anotherPluginsNameIsRefusedNamingBoth()
    {
        ServiceTable table;
        PluginServices services(table, "billing");
        const auto why
            = refusal([&] { services.publish("scheduling.appointments.v1", std::make_shared<Token>()); });
        CPPUNIT_ASSERT_EQUAL(std::string("plugin billing may not publish service scheduling.appointments.v1: "
                                         "the scheduling.* service names belong to plugin scheduling; plugin "
                                         "billing publishes under billing.<service>.v1"),
            why);
        CPPUNIT_ASSERT(
            !refusal([&] { services.publish("kernel.metrics.v1", std::make_shared<Token>()); }).empty());
    }

    void theKernelsInterfacesMayBeProvidedByAnyPlugin()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string(), clinic::serviceNameProblem("records", clinic::kPatientAccountsService));
        CPPUNIT_ASSERT_EQUAL(
            std::string(), clinic::serviceNameProblem("scheduling", clinic::kCareRelationshipService));
    }

    void publishedServicesReachTheKernelOnlyOnCommit()
    {
        ServiceTable table;
        PluginServices services(table, "example");
        services.publish("example.notes.v1", std::make_shared<Token>(Token {7}));
        CPPUNIT_ASSERT_EQUAL(7, services.find<Token>("example.notes.v1")->value);
        CPPUNIT_ASSERT_MESSAGE("staged, not yet the kernel's", !table.find<Token>("example.notes.v1"));
        CPPUNIT_ASSERT(
            !refusal([&] { services.publish("example.notes.v1", std::make_shared<Token>()); }).empty());
        services.check();
        services.commit();
        CPPUNIT_ASSERT_EQUAL(7, table.find<Token>("example.notes.v1")->value);
        CPPUNIT_ASSERT_MESSAGE("another type is not found", !table.find<int>("example.notes.v1"));
        CPPUNIT_ASSERT_MESSAGE("a missing service is nullptr", !table.find<Token>("example.other.v1"));
    }

    void aRouteUnderAnotherPluginsPrefixIsRefused()
    {
        UrlOwners owners;
        owners.declare("scheduling", {"/api/v1/appointments", "/api/v1/doctors"});
        owners.declare("records", {"/api/v1/patients"});
        owners.check("scheduling", route("GET", "/api/v1/appointments/{id}.ics"));
        owners.check("intruder", route("GET", "/api/v1/appointmentsx"));
        owners.check("intruder", route("GET", "/api/v1/intruder/doctors"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("plugin intruder may not serve route GET /api/v1/appointments/{id}/x: URL "
                        "prefix /api/v1/appointments belongs to plugin scheduling"),
            refusal([&] { owners.check("intruder", route("GET", "/api/v1/appointments/{id}/x")); }));
        CPPUNIT_ASSERT(
            !refusal([&] { owners.check("intruder", route("POST", "/api/v1/appointments")); }).empty());
        CPPUNIT_ASSERT_MESSAGE("a parameter reaches into every plugin's space",
            !refusal([&] { owners.check("intruder", route("GET", "/api/v1/{what}/x")); }).empty());
        CPPUNIT_ASSERT(
            !refusal([&] { owners.check("scheduling", route("GET", "/api/v1/patients/{id}/x")); }).empty());
    }

    void overlappingPrefixesAreRefused()
    {
        UrlOwners owners;
        owners.declare("scheduling", {"/api/v1/appointments"});
        CPPUNIT_ASSERT_EQUAL(
            std::string("plugin billing declares URL prefix /api/v1/appointments/fees, which "
                        "overlaps /api/v1/appointments of plugin scheduling"),
            refusal([&] {
                owners.declare("billing", {"/api/v1/billing", "/api/v1/appointments/fees"});
            }));
        CPPUNIT_ASSERT(!refusal([&] { owners.declare("billing", {"/api/v1"}); }).empty());
        CPPUNIT_ASSERT(!refusal([&] { owners.declare("billing", {"/api/v1/x/"}); }).empty());
        CPPUNIT_ASSERT(!refusal([&] { owners.declare("billing", {"api/v1/x"}); }).empty());
        CPPUNIT_ASSERT(!refusal([&] { owners.declare("billing", {"/api/v1/{x}"}); }).empty());
        // Nothing of a refused declaration stays behind.
        owners.check("other", route("GET", "/api/v1/billing/x"));
        owners.declare("billing", {"/api/v1/billing"});
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OwnershipTest);
