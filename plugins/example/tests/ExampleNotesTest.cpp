// The example plugin's notes API through the real clinicd: create and read a
// note, 404 for ids that do not or cannot exist, 422 for bad text.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

#include "TestSupport.h"

using namespace clinic::test;

namespace {

Daemon::Options withExample()
{
    Daemon::Options options;
    options.config["plugins.load"] = "example";
    return options;
}

/// details.fields of a 422 envelope.
Poco::JSON::Object::Ptr invalidFields(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

} // namespace

class ExampleNotesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExampleNotesTest);
    CPPUNIT_TEST(createdNoteCanBeReadBack);
    CPPUNIT_TEST(notesGetDistinctIdsAndKeepTheirText);
    CPPUNIT_TEST(unknownAndInvalidIdsAreNotFound);
    CPPUNIT_TEST(badTextIsRefusedNamingTheField);
    CPPUNIT_TEST(bodyThatIsNotJsonIsMalformed);
    CPPUNIT_TEST(pluginIsListedStartedAndReady);
    CPPUNIT_TEST(staffListNotesAPageAtATimeAndEachListingIsAudited);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { _daemon = std::make_unique<Daemon>(withExample()); }
    void tearDown() override { _daemon.reset(); }

    void createdNoteCanBeReadBack()
    {
        auto client = _daemon->client();
        auto created
            = client.post("/api/v1/example/notes", R"({"text":"Call Mrs. Ionescu about the lab results"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
        const auto id = created.json()->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT(id > 0);
        CPPUNIT_ASSERT_EQUAL(std::string("Call Mrs. Ionescu about the lab results"),
            created.json()->getValue<std::string>("text"));

        auto read = client.get("/api/v1/example/notes/" + std::to_string(id));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(read.body, 200, read.status);
        CPPUNIT_ASSERT_EQUAL(id, read.json()->getValue<Poco::Int64>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Call Mrs. Ionescu about the lab results"),
            read.json()->getValue<std::string>("text"));
        CPPUNIT_ASSERT(!read.header("X-Request-ID").empty());
    }

    void notesGetDistinctIdsAndKeepTheirText()
    {
        auto client = _daemon->client();
        // Non-ASCII text at the 200-character limit: the limit counts characters.
        std::string longest;
        for (int i = 0; i < 100; ++i)
            longest += "ăș";
        auto first = client.post("/api/v1/example/notes", R"({"text":"Ștefan cel Mare 😀"})");
        auto second = client.post("/api/v1/example/notes", "{\"text\":\"" + longest + "\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 201, first.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.body, 201, second.status);
        const auto a = first.json()->getValue<Poco::Int64>("id");
        const auto b = second.json()->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT(a != b);
        CPPUNIT_ASSERT_EQUAL(std::string("Ștefan cel Mare 😀"),
            client.get("/api/v1/example/notes/" + std::to_string(a)).json()->getValue<std::string>("text"));
        CPPUNIT_ASSERT_EQUAL(longest,
            client.get("/api/v1/example/notes/" + std::to_string(b)).json()->getValue<std::string>("text"));
    }

    void unknownAndInvalidIdsAreNotFound()
    {
        auto client = _daemon->client();
        for (const std::string id : {"999999", "0", "-1", "abc", "1.5", "99999999999999999999999", "1e3"}) {
            auto r = client.get("/api/v1/example/notes/" + id);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id + ": " + r.body, 404, r.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(id, std::string("NOT_FOUND"), r.errorCode());
        }
        // The daemon still serves after all of them.
        CPPUNIT_ASSERT_EQUAL(201, client.post("/api/v1/example/notes", R"({"text":"after"})").status);
    }

    void badTextIsRefusedNamingTheField()
    {
        auto client = _daemon->client();
        const std::string tooLong(201, 'x');
        for (const std::string& body :
            {std::string(R"({})"), std::string(R"({"text":""})"), std::string(R"({"text":12})"),
                std::string(R"({"text":null})"), std::string(R"({"text":["a"]})"),
                std::string(R"({"text":"bell\u0007"})"), "{\"text\":\"" + tooLong + "\"}"}) {
            auto r = client.post("/api/v1/example/notes", body);
            auto fields = invalidFields(r);
            CPPUNIT_ASSERT_MESSAGE(body + ": " + r.body, fields->has("text"));
        }
        // None of them stored anything: the next note is the first.
        auto created = client.post("/api/v1/example/notes", R"({"text":"first real note"})");
        CPPUNIT_ASSERT_EQUAL(201, created.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), created.json()->getValue<Poco::Int64>("id"));
    }

    void bodyThatIsNotJsonIsMalformed()
    {
        auto client = _daemon->client();
        auto broken = client.post("/api/v1/example/notes", R"({"text":)");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(broken.body, 400, broken.status);
        CPPUNIT_ASSERT_EQUAL(std::string("MALFORMED_JSON"), broken.errorCode());
        auto array = client.post("/api/v1/example/notes", R"(["text"])");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(array.body, 422, array.status);
    }

    void pluginIsListedStartedAndReady()
    {
        auto client = _daemon->adminClient();
        auto list = client.get("/api/v1/system/plugins");
        CPPUNIT_ASSERT_EQUAL(200, list.status);
        auto item = list.json()->getArray("items")->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("example"), item->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), item->getValue<std::string>("version"));
        CPPUNIT_ASSERT_EQUAL(std::string("started"), item->getValue<std::string>("state"));
        auto ready = client.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body, 200, ready.status);
        CPPUNIT_ASSERT(ready.json()->getObject("checks")->getObject("example.notes")->getValue<bool>("ok"));
    }

    void staffListNotesAPageAtATimeAndEachListingIsAudited()
    {
        auto anonymous = _daemon->client();
        for (const char* text : {"first", "second", "third"})
            CPPUNIT_ASSERT_EQUAL(201,
                anonymous.post("/api/v1/example/notes", std::string(R"({"text":")") + text + "\"}").status);
        auto unauthenticated = anonymous.get("/api/v1/example/notes");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(unauthenticated.body, 401, unauthenticated.status);

        auto admin = _daemon->adminClient();
        auto first = admin.get("/api/v1/example/notes?limit=2");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 200, first.status);
        auto items = first.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), items->size());
        CPPUNIT_ASSERT_EQUAL(std::string("first"), items->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT(!first.json()->isNull("next_cursor"));

        auto second = admin.get(
            "/api/v1/example/notes?limit=2&cursor=" + first.json()->getValue<std::string>("next_cursor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.body, 200, second.status);
        items = second.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), items->size());
        CPPUNIT_ASSERT_EQUAL(std::string("third"), items->getObject(0)->getValue<std::string>("text"));
        CPPUNIT_ASSERT(second.json()->isNull("next_cursor"));

        auto badLimit = admin.get("/api/v1/example/notes?limit=+2");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(badLimit.body, 422, badLimit.status);

        auto audit = admin.get("/api/v1/audit?limit=500");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(audit.body, 200, audit.status);
        auto rows = audit.json()->getArray("items");
        int listings = 0;
        for (std::size_t i = 0; i < rows->size(); ++i)
            listings += rows->getObject(static_cast<unsigned>(i))->getValue<std::string>("action")
                == "example.notes.list";
        CPPUNIT_ASSERT_EQUAL_MESSAGE(audit.body, 2, listings);
    }

private:
    std::unique_ptr<Daemon> _daemon;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExampleNotesTest);
