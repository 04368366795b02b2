// GET /api/v1/openapi.json describes exactly what the daemon serves: every
// route /api/v1/system/routes lists (kernel and plugins alike) is an
// operation with its path parameters and its access, and nothing else is.
// (OpenApiLintTest checks what each operation accepts and answers.)

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <set>

#include "TestSupport.h"

using namespace clinic::test;

namespace {

std::string lower(std::string s)
{
    std::transform(
        s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// {name} parameters of a pattern, including {name}suffix segments.
std::set<std::string> pathParameters(const std::string& pattern)
{
    std::set<std::string> out;
    for (std::size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1))
        out.insert(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
    return out;
}

} // namespace

class OpenApiTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OpenApiTest);
    CPPUNIT_TEST(everyServedRouteIsAnOperationAndNothingElseIs);
    CPPUNIT_TEST(documentIsPublicAndSaysWhoMayCallEachOperation);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyServedRouteIsAnOperationAndNothingElseIs()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example,records,metrics";
        Daemon d(o);
        auto admin = d.adminClient();
        auto routes = admin.get("/api/v1/system/routes");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(routes.body, 200, routes.status);
        auto doc = d.client().get("/api/v1/openapi.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(doc.body, 200, doc.status);
        auto json = doc.json();
        CPPUNIT_ASSERT_EQUAL(std::string("3.0.3"), json->getValue<std::string>("openapi"));
        auto paths = json->getObject("paths");

        std::size_t served = 0;
        auto items = routes.json()->getArray("items");
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto route = items->getObject(static_cast<unsigned>(i));
            const auto pattern = route->getValue<std::string>("pattern");
            const auto method = lower(route->getValue<std::string>("method"));
            const std::string name = method + " " + pattern;
            auto item = paths->getObject(pattern);
            CPPUNIT_ASSERT_MESSAGE("not in the OpenAPI document: " + name, item && item->has(method));
            auto op = item->getObject(method);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                name, route->getValue<std::string>("summary"), op->getValue<std::string>("summary"));

            std::set<std::string> declared;
            if (auto params = op->getArray("parameters"))
                for (std::size_t k = 0; k < params->size(); ++k) {
                    auto p = params->getObject(static_cast<unsigned>(k));
                    // Query parameters are declared by each route; path ones come from the pattern.
                    if (p->getValue<std::string>("in") == "query")
                        continue;
                    CPPUNIT_ASSERT_EQUAL(std::string("path"), p->getValue<std::string>("in"));
                    CPPUNIT_ASSERT(p->getValue<bool>("required"));
                    declared.insert(p->getValue<std::string>("name"));
                }
            CPPUNIT_ASSERT_MESSAGE("path parameters of " + name, declared == pathParameters(pattern));
            ++served;
        }
        std::size_t documented = 0;
        for (const auto& [pattern, item] : *paths)
            documented += item.extract<Poco::JSON::Object::Ptr>()->size();
        CPPUNIT_ASSERT_EQUAL(served, documented);
        // The plugins' routes are there too, not only the kernel's.
        CPPUNIT_ASSERT(paths->has("/api/v1/patients/{id}/documents/{doc_id}/content"));
        CPPUNIT_ASSERT(paths->has("/metrics"));
    }

    void documentIsPublicAndSaysWhoMayCallEachOperation()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "records";
        Daemon d(o);
        auto doc = d.client().get("/api/v1/openapi.json");
        CPPUNIT_ASSERT_EQUAL(200, doc.status);
        auto paths = doc.json()->getObject("paths");

        auto live = paths->getObject("/health/live")->getObject("get");
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), live->getArray("security")->size());

        auto users = paths->getObject("/api/v1/users")->getObject("post");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), users->getArray("security")->size());
        auto roles = users->getArray("x-roles");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), roles->size());
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), roles->getElement<std::string>(0));
        CPPUNIT_ASSERT(users->getObject("responses")->has("403"));

        auto schemes = doc.json()->getObject("components")->getObject("securitySchemes");
        CPPUNIT_ASSERT_EQUAL(
            std::string("bearer"), schemes->getObject("bearer")->getValue<std::string>("scheme"));
        auto error = doc.json()->getObject("components")->getObject("schemas")->getObject("Error");
        CPPUNIT_ASSERT(error->getObject("properties")->has("error"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OpenApiTest);
