// Bad requests through the real clinicd: each is answered in the error
// envelope with the request id, nothing bad is stored, and the daemon keeps
// serving afterwards.

#include <cppunit/extensions/HelperMacros.h>

#include <regex>
#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "IntegrationSupport.h"

using namespace clinic::test;

namespace {

const char* kNotes = "/api/v1/example/notes";

Daemon::Options exampleDaemon()
{
    Daemon::Options o;
    o.config["plugins.load"] = "example,testkit";
    // Small, so the over-limit bodies stay small enough to be sent whole
    // before the server answers.
    o.config["http.max_body_bytes"] = "1024";
    return o;
}

/// A valid note padded with whitespace: the JSON is fine and the text is
/// short, so only the size limit can refuse it.
std::string paddedNote(std::size_t size)
{
    std::string body = "{\"text\":\"padded\"}";
    body.append(size - body.size(), ' ');
    return body;
}

Poco::JSON::Object::Ptr fields(const HttpResult& r)
{
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

} // namespace

class BadInputTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BadInputTest);
    CPPUNIT_TEST(malformedJsonIs400MalformedJson);
    CPPUNIT_TEST(jsonArrayOrStringBodyIs422ValidationFailed);
    CPPUNIT_TEST(wrongFieldTypeIs422NamingTheField);
    CPPUNIT_TEST(missingFieldIs422NamingTheField);
    CPPUNIT_TEST(bodyOverLimitByContentLengthIs413AndStoresNothing);
    CPPUNIT_TEST(chunkedBodyOverLimitIs413AndStoresNothing);
    CPPUNIT_TEST(bodyAtTheLimitIsAccepted);
    CPPUNIT_TEST(unknownPathIs404NotFound);
    CPPUNIT_TEST(wrongMethodIs405WithAllowHeader);
    CPPUNIT_TEST(idThatIsNotAPositiveNumberIs404);
    CPPUNIT_TEST(invalidRequestTargetIs400InTheEnvelope);
    CPPUNIT_TEST(acceptableClientRequestIdIsEchoed);
    CPPUNIT_TEST(unacceptableClientRequestIdIsReplacedByAGeneratedOne);
    CPPUNIT_TEST(quotesSqlAndUnicodeAreStoredAndReturnedVerbatim);
    CPPUNIT_TEST(invalidUtf8Is422);
    CPPUNIT_TEST(controlCharactersAre422);
    CPPUNIT_TEST(throwingHandlerIs500InternalWithoutItsTextAndIsLogged);
    CPPUNIT_TEST_SUITE_END();

public:
    void malformedJsonIs400MalformedJson()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string body :
            {"{\"text\": ", "{text: 1}", "not json at all", "{\"text\":\"a\"} trailing"}) {
            auto r = c.post(kNotes, body);
            assertEnvelope(r, 400, "MALFORMED_JSON");
        }
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void jsonArrayOrStringBodyIs422ValidationFailed()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string body : {"[\"text\"]", "\"text\"", "12", "null"}) {
            auto r = c.post(kNotes, body);
            assertEnvelope(r, 422, "VALIDATION_FAILED");
            CPPUNIT_ASSERT_MESSAGE(r.body, fields(r)->has("body"));
        }
        assertStillServing(d);
    }

    void wrongFieldTypeIs422NamingTheField()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string body :
            {"{\"text\": 12}", "{\"text\": true}", "{\"text\": [\"a\"]}", "{\"text\": {\"a\": 1}}"}) {
            auto r = c.post(kNotes, body);
            assertEnvelope(r, 422, "VALIDATION_FAILED");
            CPPUNIT_ASSERT_MESSAGE(r.body, fields(r)->has("text"));
        }
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void missingFieldIs422NamingTheField()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string body : {"{}", "{\"txt\": \"typo\"}", "{\"text\": null}"}) {
            auto r = c.post(kNotes, body);
            assertEnvelope(r, 422, "VALIDATION_FAILED");
            CPPUNIT_ASSERT_MESSAGE(r.body, fields(r)->has("text"));
        }
        assertStillServing(d);
    }

    void bodyOverLimitByContentLengthIs413AndStoresNothing()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        auto r = c.post(kNotes, paddedNote(4096), {{"X-Request-ID", "too-big-1"}});
        assertEnvelope(r, 413, "PAYLOAD_TOO_LARGE");
        CPPUNIT_ASSERT_EQUAL(std::string("too-big-1"), r.header("X-Request-ID"));
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void chunkedBodyOverLimitIs413AndStoresNothing()
    {
        Daemon d(exampleDaemon());
        Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(d.port()));
        session.setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest req("POST", kNotes, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setChunkedTransferEncoding(true);
        req.setContentType("application/json");
        req.set("X-Request-ID", "chunked-1");
        std::ostream& out = session.sendRequest(req);
        // Several chunks, none over the limit alone: only their sum is.
        const std::string body = paddedNote(4096);
        for (std::size_t at = 0; at < body.size(); at += 512) {
            out << body.substr(at, 512);
            out.flush();
        }
        Poco::Net::HTTPResponse res;
        std::istream& in = session.receiveResponse(res);
        HttpResult r;
        r.status = static_cast<int>(res.getStatus());
        Poco::StreamCopier::copyToString(in, r.body);
        for (const auto& [k, v] : res) {
            std::string lower = k;
            for (auto& ch : lower)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            r.headers[lower] = v;
        }
        assertEnvelope(r, 413, "PAYLOAD_TOO_LARGE");
        CPPUNIT_ASSERT_EQUAL(std::string("chunked-1"), r.header("X-Request-ID"));
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void bodyAtTheLimitIsAccepted()
    {
        // The limit is inclusive: a body of exactly max_body_bytes is read.
        Daemon d(exampleDaemon());
        auto c = d.client();
        auto r = c.post(kNotes, paddedNote(1024));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT_EQUAL(1L, countNotes(d));
    }

    void unknownPathIs404NotFound()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string path :
            {"/api/v1/nothing-here", "/", "/api/v1/example/notes/1/extra", "/health"}) {
            auto r = c.get(path);
            assertEnvelope(r, 404, "NOT_FOUND");
        }
        assertStillServing(d);
    }

    void wrongMethodIs405WithAllowHeader()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        auto r = c.request("DELETE", kNotes);
        assertEnvelope(r, 405, "METHOD_NOT_ALLOWED");
        CPPUNIT_ASSERT_MESSAGE(r.header("Allow"), r.header("Allow").find("POST") != std::string::npos);

        r = c.request("PUT", "/health/live", "{}");
        assertEnvelope(r, 405, "METHOD_NOT_ALLOWED");
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), r.header("Allow"));
        assertStillServing(d);
    }

    void idThatIsNotAPositiveNumberIs404()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        CPPUNIT_ASSERT_EQUAL(201, c.post(kNotes, "{\"text\":\"one\"}").status);
        CPPUNIT_ASSERT_EQUAL(200, c.get(std::string(kNotes) + "/1").status);
        for (const std::string id : {"abc", "-1", "0", "99999999999999999999", "1.5", "1e3", "%31x", "0x1"}) {
            auto r = c.get(std::string(kNotes) + "/" + id);
            assertEnvelope(r, 404, "NOT_FOUND");
        }
        assertStillServing(d);
    }

    void invalidRequestTargetIs400InTheEnvelope()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string target : {"/api/v1/%zz", "/api/v1/example/notes/%"}) {
            auto r = c.get(target, {{"X-Request-ID", "bad-uri"}});
            assertEnvelope(r, 400, "BAD_REQUEST");
            CPPUNIT_ASSERT_EQUAL(std::string("bad-uri"), r.header("X-Request-ID"));
        }
        assertStillServing(d);
    }

    void acceptableClientRequestIdIsEchoed()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        const std::string id = "terminal-7.reception:0042_A";
        auto r = c.get("/health/live", {{"X-Request-ID", id}});
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(id, r.header("X-Request-ID"));
        const std::string longest(64, 'x');
        r = c.get("/api/v1/nothing", {{"X-Request-ID", longest}});
        assertEnvelope(r, 404, "NOT_FOUND");
        CPPUNIT_ASSERT_EQUAL(longest, r.header("X-Request-ID"));
        // Without one the daemon makes one up, different per request.
        auto a = c.get("/health/live");
        auto b = c.get("/health/live");
        CPPUNIT_ASSERT(!a.header("X-Request-ID").empty());
        CPPUNIT_ASSERT(a.header("X-Request-ID") != b.header("X-Request-ID"));
    }

    void unacceptableClientRequestIdIsReplacedByAGeneratedOne()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        const std::regex plain("[A-Za-z0-9._:-]{1,64}");
        for (const std::string& bad :
            {std::string("has spaces in it"), std::string(200, 'a'), std::string(65, 'b'),
                std::string("semi;colon"), std::string("quote\"d"), std::string("\xC8\x99-unicode")}) {
            auto r = c.get("/api/v1/nothing", {{"X-Request-ID", bad}});
            assertEnvelope(r, 404, "NOT_FOUND");
            const std::string id = r.header("X-Request-ID");
            CPPUNIT_ASSERT_MESSAGE(bad, id != bad);
            CPPUNIT_ASSERT_MESSAGE(id, std::regex_match(id, plain));
            CPPUNIT_ASSERT_MESSAGE(
                "the refused id must not reach the log", d.log().find(bad) == std::string::npos);
        }
        assertStillServing(d);
    }

    void quotesSqlAndUnicodeAreStoredAndReturnedVerbatim()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        const std::vector<std::string> texts = {
            "She said \"hello\" and left a \\ backslash",
            "'; DROP TABLE example_notes; --",
            "Robert'); DELETE FROM example_notes WHERE ('1'='1",
            "Dr. Ștefănescu, Țăndărei: ș ț ă â î Ș Ț Ă Â Î",
            "tooth \xF0\x9F\xA6\xB7 and heart \xE2\x9D\xA4\xEF\xB8\x8F",
            "tab\tand\nnew line",
            "<script>alert(1)</script> & %s %n {{x}}",
        };
        std::vector<Poco::Int64> ids;
        for (const auto& text : texts) {
            Poco::JSON::Object o;
            o.set("text", text);
            std::ostringstream json;
            o.stringify(json);
            auto r = c.post(kNotes, json.str());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
            CPPUNIT_ASSERT_EQUAL(text, r.json()->getValue<std::string>("text"));
            ids.push_back(r.json()->getValue<Poco::Int64>("id"));
        }
        for (std::size_t i = 0; i < texts.size(); ++i) {
            auto r = c.get(std::string(kNotes) + "/" + std::to_string(ids[i]));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            CPPUNIT_ASSERT_EQUAL(texts[i], r.json()->getValue<std::string>("text"));
        }
        CPPUNIT_ASSERT_EQUAL(static_cast<long>(texts.size()), countNotes(d));
    }

    void invalidUtf8Is422()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string bad : {"ab\xC3\x28"
                                      "cd",
                 "\xC0\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80", "end\xE2\x82"}) {
            auto r = c.post(kNotes, "{\"text\":\"" + bad + "\"}");
            assertEnvelope(r, 422, "VALIDATION_FAILED");
            // The body is refused as a whole: it is not text, so not JSON.
            CPPUNIT_ASSERT_MESSAGE(r.body, fields(r)->has("body"));
        }
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void controlCharactersAre422()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        for (const std::string bad : {"a\\u0001b", "bell\\u0007", "esc\\u001b[31m", "nul\\u0000byte"}) {
            auto r = c.post(kNotes, "{\"text\":\"" + bad + "\"}");
            assertEnvelope(r, 422, "VALIDATION_FAILED");
            CPPUNIT_ASSERT_MESSAGE(r.body, fields(r)->has("text"));
        }
        CPPUNIT_ASSERT_EQUAL(0L, countNotes(d));
        assertStillServing(d);
    }

    void throwingHandlerIs500InternalWithoutItsTextAndIsLogged()
    {
        Daemon d(exampleDaemon());
        auto c = d.client();
        auto r = c.get("/api/v1/testkit/throw", {{"X-Request-ID", "boom-req-1"}});
        assertEnvelope(r, 500, "INTERNAL");
        CPPUNIT_ASSERT_EQUAL(std::string("boom-req-1"), r.header("X-Request-ID"));
        for (const char* leak : {"LEAK-MARKER", "secret", "runtime_error", ".cpp", "testkit internal"})
            CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find(leak) == std::string::npos);
        // The same connection and a fresh one both still work.
        CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
        assertStillServing(d);
        // The operator finds the failure, its cause and its request id in the log.
        CPPUNIT_ASSERT(eventually([&] {
            const std::string log = d.log();
            for (std::size_t at = log.find("req=boom-req-1"); at != std::string::npos;
                 at = log.find("req=boom-req-1", at + 1)) {
                const std::string line = log.substr(at, log.find('\n', at) - at);
                if (line.find("LEAK-MARKER") != std::string::npos)
                    return true;
            }
            return false;
        }));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BadInputTest);
