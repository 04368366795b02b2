// RouterImpl: pattern parsing, matching precedence, parameters, 405 support
// and refusal of duplicates and malformed patterns.

#include <stdexcept>

#include <cppunit/extensions/HelperMacros.h>

#include "http/RouterImpl.h"

using clinic::Access;
using clinic::Request;
using clinic::Response;
using clinic::Route;
using clinic::RouterImpl;

namespace {

Route route(const std::string& method, const std::string& pattern)
{
    return Route(
        method, pattern, Access::open(), [](Request&) { return Response::noContent(); }, "test");
}

std::string patternOf(const clinic::RouteMatch& m)
{
    return m.route ? m.route->route.pattern : std::string("(none)");
}

std::string rejection(const Route& r, RouterImpl& router, const std::string& owner = "test")
{
    try {
        router.add(r, owner);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

} // namespace

class RouterTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RouterTest);
    CPPUNIT_TEST(literalSegmentBeatsParameterInEitherRegistrationOrder);
    CPPUNIT_TEST(suffixSegmentCapturesTheIdBeforeTheSuffix);
    CPPUNIT_TEST(suffixSegmentNeedsSomethingBeforeTheSuffix);
    CPPUNIT_TEST(parametersAreCapturedByName);
    CPPUNIT_TEST(segmentCountMustMatch);
    CPPUNIT_TEST(wrongMethodReportsTheAllowedMethods);
    CPPUNIT_TEST(unknownPathHasNoAllowedMethods);
    CPPUNIT_TEST(duplicateMethodAndPatternIsRejectedNamingTheOwner);
    CPPUNIT_TEST(samePatternWithAnotherMethodIsAccepted);
    CPPUNIT_TEST(malformedPatternsAreRejected);
    CPPUNIT_TEST(unknownMethodAndMissingHandlerAreRejected);
    CPPUNIT_TEST(rejectedRouteLeavesTheRouterUnchanged);
    CPPUNIT_TEST(ownerIsRecorded);
    CPPUNIT_TEST_SUITE_END();

public:
    void literalSegmentBeatsParameterInEitherRegistrationOrder()
    {
        RouterImpl paramFirst;
        paramFirst.add(route("GET", "/api/v1/patients/{id}"), "records");
        paramFirst.add(route("GET", "/api/v1/patients/search"), "records");
        RouterImpl literalFirst;
        literalFirst.add(route("GET", "/api/v1/patients/search"), "records");
        literalFirst.add(route("GET", "/api/v1/patients/{id}"), "records");
        for (RouterImpl* router : {&paramFirst, &literalFirst}) {
            auto search = router->match("GET", "/api/v1/patients/search");
            CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/patients/search"), patternOf(search));
            CPPUNIT_ASSERT(search.params.empty());
            auto byId = router->match("GET", "/api/v1/patients/42");
            CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/patients/{id}"), patternOf(byId));
            CPPUNIT_ASSERT_EQUAL(std::string("42"), byId.params.at("id"));
        }
    }

    void suffixSegmentCapturesTheIdBeforeTheSuffix()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/appointments/{id}"), "scheduling");
        router.add(route("GET", "/api/v1/appointments/{id}.ics"), "scheduling");
        auto ics = router.match("GET", "/api/v1/appointments/17.ics");
        CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/appointments/{id}.ics"), patternOf(ics));
        CPPUNIT_ASSERT_EQUAL(std::string("17"), ics.params.at("id"));
        auto plain = router.match("GET", "/api/v1/appointments/17");
        CPPUNIT_ASSERT_EQUAL(std::string("/api/v1/appointments/{id}"), patternOf(plain));
        CPPUNIT_ASSERT_EQUAL(std::string("17"), plain.params.at("id"));
    }

    void suffixSegmentNeedsSomethingBeforeTheSuffix()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/appointments/{id}.ics"), "scheduling");
        CPPUNIT_ASSERT(!router.match("GET", "/api/v1/appointments/.ics").route);
        CPPUNIT_ASSERT(!router.match("GET", "/api/v1/appointments/17.ical").route);
        CPPUNIT_ASSERT(!router.match("GET", "/api/v1/appointments/17").route);
    }

    void parametersAreCapturedByName()
    {
        RouterImpl router;
        router.add(route("PUT", "/api/v1/doctors/{doctor}/hours/{day}"), "scheduling");
        auto m = router.match("PUT", "/api/v1/doctors/7/hours/monday");
        CPPUNIT_ASSERT(m.route);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.params.size());
        CPPUNIT_ASSERT_EQUAL(std::string("7"), m.params.at("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::string("monday"), m.params.at("day"));
    }

    void segmentCountMustMatch()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/notes/{id}"), "example");
        CPPUNIT_ASSERT(!router.match("GET", "/api/v1/notes").route);
        CPPUNIT_ASSERT(!router.match("GET", "/api/v1/notes/1/extra").route);
    }

    void wrongMethodReportsTheAllowedMethods()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/notes/{id}"), "example");
        router.add(route("DELETE", "/api/v1/notes/{id}"), "example");
        router.add(route("POST", "/api/v1/notes"), "example");
        auto m = router.match("PATCH", "/api/v1/notes/3");
        CPPUNIT_ASSERT(!m.route);
        CPPUNIT_ASSERT((m.allowedMethods == std::set<std::string> {"DELETE", "GET"}));
    }

    void unknownPathHasNoAllowedMethods()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/notes/{id}"), "example");
        auto m = router.match("GET", "/api/v1/nothing/here");
        CPPUNIT_ASSERT(!m.route);
        CPPUNIT_ASSERT(m.allowedMethods.empty());
    }

    void duplicateMethodAndPatternIsRejectedNamingTheOwner()
    {
        RouterImpl router;
        router.add(route("GET", "/health/live"), "kernel");
        const std::string why = rejection(route("GET", "/health/live"), router, "metrics");
        CPPUNIT_ASSERT_MESSAGE(
            why, why.find("GET /health/live is already declared by kernel") != std::string::npos);
    }

    void samePatternWithAnotherMethodIsAccepted()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/notes"), "example");
        router.add(route("POST", "/api/v1/notes"), "example");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), router.routes().size());
    }

    void malformedPatternsAreRejected()
    {
        for (const std::string pattern :
            {"", "api/v1/notes", "/api/v1/{id", "/api/v1/x{id}", "/api/v1/{}", "/api/v1/{bad-name}",
                "/api/v1/{id}{more}", "/api/v1/{id}.i}cs", "/api/v1/{id}/{id}", "/api/v1/no}"}) {
            RouterImpl router;
            const std::string why = rejection(route("GET", pattern), router);
            CPPUNIT_ASSERT_MESSAGE("accepted \"" + pattern + "\"", !why.empty());
            CPPUNIT_ASSERT_MESSAGE(why, why.find("route") == 0);
            CPPUNIT_ASSERT(router.routes().empty());
        }
    }

    void unknownMethodAndMissingHandlerAreRejected()
    {
        RouterImpl router;
        CPPUNIT_ASSERT(rejection(route("FETCH", "/api/v1/notes"), router).find("unknown method FETCH")
            != std::string::npos);
        CPPUNIT_ASSERT(
            rejection(route("get", "/api/v1/notes"), router).find("unknown method") != std::string::npos);
        Route noHandler("GET", "/api/v1/notes", Access::open(), nullptr, "no handler");
        CPPUNIT_ASSERT(rejection(noHandler, router).find("no handler") != std::string::npos);
        CPPUNIT_ASSERT(router.routes().empty());
    }

    void rejectedRouteLeavesTheRouterUnchanged()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/notes/{id}"), "example");
        CPPUNIT_ASSERT(!rejection(route("GET", "/api/v1/notes/{id}"), router).empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), router.routes().size());
        CPPUNIT_ASSERT_EQUAL(std::string("example"), router.routes().front()->owner);
    }

    void ownerIsRecorded()
    {
        RouterImpl router;
        router.add(route("GET", "/api/v1/time"), "kernel");
        auto m = router.match("GET", "/api/v1/time");
        CPPUNIT_ASSERT(m.route);
        CPPUNIT_ASSERT_EQUAL(std::string("kernel"), m.route->owner);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RouterTest);
