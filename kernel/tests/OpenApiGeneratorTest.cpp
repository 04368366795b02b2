// The schema vocabulary and the generator, without a daemon: a route's
// Contract comes out as the JSON Schema and OpenAPI objects a client
// generator reads.

#include <cppunit/extensions/HelperMacros.h>

#include "clinic/Json.h"
#include "clinic/Schema.h"
#include "http/OpenApi.h"

using clinic::Contract;
using clinic::Schema;

namespace {

clinic::Route route(const std::string& method, const std::string& pattern, Contract contract)
{
    return clinic::Route(
        method, pattern, clinic::Access::only({"admin"}),
        [](clinic::Request&) { return clinic::Response::noContent(); }, "summary", std::move(contract));
}

Poco::JSON::Object::Ptr operation(
    const clinic::RouterImpl& router, const std::string& pattern, const std::string& method)
{
    return clinic::openApiDocument(router, "1.2.3")
        ->getObject("paths")
        ->getObject(pattern)
        ->getObject(method);
}

} // namespace

class OpenApiGeneratorTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OpenApiGeneratorTest);
    CPPUNIT_TEST(objectSchemaListsItsFieldsAndWhichAreRequired);
    CPPUNIT_TEST(listOfIsTheItemsAndNextCursorEnvelope);
    CPPUNIT_TEST(contractBecomesParametersBodyAndResponses);
    CPPUNIT_TEST(operationIdsAreCamelCaseAndUnique);
    CPPUNIT_TEST_SUITE_END();

public:
    void objectSchemaListsItsFieldsAndWhichAreRequired()
    {
        auto json = Schema::object()
                        .required("name", Schema::string(1, 200))
                        .optional("birth_date", Schema::date())
                        .optional("age", Schema::integer(0, 150).nullable())
                        .toJson();
        CPPUNIT_ASSERT_EQUAL(std::string("object"), json->getValue<std::string>("type"));
        auto required = json->getArray("required");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), required->size());
        CPPUNIT_ASSERT_EQUAL(std::string("name"), required->getElement<std::string>(0));
        auto props = json->getObject("properties");
        CPPUNIT_ASSERT_EQUAL(200, props->getObject("name")->getValue<int>("maxLength"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("date"), props->getObject("birth_date")->getValue<std::string>("format"));
        CPPUNIT_ASSERT_EQUAL(150, props->getObject("age")->getValue<int>("maximum"));
        CPPUNIT_ASSERT(props->getObject("age")->getValue<bool>("nullable"));
        CPPUNIT_ASSERT_THROW(Schema::string().required("x", Schema::string()), std::logic_error);
        CPPUNIT_ASSERT_THROW(
            Schema::object().optional("x", Schema()).optional("x", Schema()), std::logic_error);
    }

    void listOfIsTheItemsAndNextCursorEnvelope()
    {
        auto json = clinic::listOf(Schema::object().required("id", Schema::id())).toJson();
        auto props = json->getObject("properties");
        CPPUNIT_ASSERT_EQUAL(std::string("array"), props->getObject("items")->getValue<std::string>("type"));
        CPPUNIT_ASSERT_EQUAL(1,
            props->getObject("items")
                ->getObject("items")
                ->getObject("properties")
                ->getObject("id")
                ->getValue<int>("minimum"));
        CPPUNIT_ASSERT(props->getObject("next_cursor")->getValue<bool>("nullable"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), json->getArray("required")->size());
    }

    void contractBecomesParametersBodyAndResponses()
    {
        clinic::RouterImpl router;
        router.add(route("POST", "/api/v1/things/{id}/notes",
                       Contract()
                           .param("dry_run", Schema::boolean(), "only check")
                           .accepts(Schema::object().required("text", Schema::string(1, 10)))
                           .returns(201, "the note", Schema::object().required("id", Schema::id()))),
            "things");
        router.add(
            route("GET", "/api/v1/things/{id}/report",
                Contract().returns(200, "as JSON", Schema::object()).returnsText(200, "text/csv", "as CSV")),
            "things");
        auto post = operation(router, "/api/v1/things/{id}/notes", "post");
        auto params = post->getArray("parameters");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), params->size());
        CPPUNIT_ASSERT_EQUAL(std::string("path"), params->getObject(0)->getValue<std::string>("in"));
        CPPUNIT_ASSERT_EQUAL(std::string("query"), params->getObject(1)->getValue<std::string>("in"));
        CPPUNIT_ASSERT(!params->getObject(1)->getValue<bool>("required"));
        auto body = post->getObject("requestBody");
        CPPUNIT_ASSERT(body->getValue<bool>("required"));
        CPPUNIT_ASSERT(body->getObject("content")->getObject("application/json")->getObject("schema"));
        auto responses = post->getObject("responses");
        CPPUNIT_ASSERT(responses->has("201"));
        CPPUNIT_ASSERT(!responses->has("2XX"));
        // The error answers stay.
        for (const char* status : {"401", "403", "4XX", "5XX"})
            CPPUNIT_ASSERT_MESSAGE(status, responses->has(status));

        auto report = operation(router, "/api/v1/things/{id}/report", "get")
                          ->getObject("responses")
                          ->getObject("200");
        auto content = report->getObject("content");
        CPPUNIT_ASSERT(content->has("application/json"));
        CPPUNIT_ASSERT(content->has("text/csv"));
    }

    void operationIdsAreCamelCaseAndUnique()
    {
        clinic::RouterImpl router;
        router.add(route("POST", "/api/v1/appointments/{id}/cancel", {}), "s");
        router.add(route("GET", "/api/v1/appointments/{id}.ics", {}), "s");
        router.add(route("GET", "/api/v1/appointments/{id}/ics", {}), "s");
        router.add(route("GET", "/health/live", {}), "kernel");
        auto doc = clinic::openApiDocument(router, "1.2.3");
        auto paths = doc->getObject("paths");
        auto id = [&](const std::string& pattern, const std::string& method) {
            return paths->getObject(pattern)->getObject(method)->getValue<std::string>("operationId");
        };
        CPPUNIT_ASSERT_EQUAL(
            std::string("postAppointmentsIdCancel"), id("/api/v1/appointments/{id}/cancel", "post"));
        CPPUNIT_ASSERT_EQUAL(std::string("getHealthLive"), id("/health/live", "get"));
        CPPUNIT_ASSERT(
            id("/api/v1/appointments/{id}.ics", "get") != id("/api/v1/appointments/{id}/ics", "get"));
        // A route without a contract still has a success answer.
        CPPUNIT_ASSERT(
            paths->getObject("/health/live")->getObject("get")->getObject("responses")->has("2XX"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.2.3"), doc->getObject("info")->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("/"), doc->getArray("servers")->getObject(0)->getValue<std::string>("url"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(OpenApiGeneratorTest);
