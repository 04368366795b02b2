// Request framing through the real clinicd: a message whose length could be
// read two ways (the ground of request smuggling behind a proxy or a
// terminal's HTTP library) is refused with 400 in the error envelope and the
// connection closed, so a second request hidden behind it never runs. Valid
// framing (chunked, Content-Length, pipelining, HEAD, 100-continue) keeps
// working.

#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "IntegrationSupport.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace std::chrono_literals;

namespace {

struct Case {
    std::string name;
    std::string bytes; ///< everything before the smuggled request
};

Daemon::Options framingDaemon()
{
    Daemon::Options o;
    o.config["plugins.load"] = "metrics";
    o.config["log.level"] = "debug"; // every answered request is logged with its path
    return o;
}

const std::string kLogin = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n";

/// A login request with the given framing headers and raw body.
std::string login(const std::string& framing, const std::string& body)
{
    return kLogin + "Content-Type: application/json\r\n" + framing + "\r\n" + body;
}

std::string oneLine(std::string s)
{
    for (auto& c : s)
        if (c == '\r' || c == '\n')
            c = ' ';
    return s;
}

/// What must happen to one malformed message followed by a valid request on
/// the same connection; "" if it did, else everything that went wrong.
std::string refusedAndClosed(Daemon& d, const Case& c, int index, int status, const std::string& code)
{
    const std::string smuggled = "/smuggled-probe-" + std::to_string(index);
    std::vector<std::string> problems;
    RawConnection conn(d.port());
    conn.send(c.bytes + getRequest(smuggled));
    auto r = conn.readResponse(5s);
    if (!r) {
        problems.push_back(
            std::string("no response within 5 s") + (conn.peerClosed() ? " (closed without one)" : ""));
    } else {
        try {
            assertEnvelope(*r, status, code);
        } catch (const CppUnit::Exception&) {
            problems.push_back("answered " + std::to_string(r->status) + " " + r->errorCode() + " "
                + (r->errorCode().empty() ? r->body.substr(0, 80) : std::string()));
        }
        if (lowerCase(r->header("Connection")) != "close")
            problems.push_back("no Connection: close");
        if (!conn.closedWithin(3s))
            problems.push_back("left open");
        if (!conn.unread().empty())
            problems.push_back("more bytes after it: " + oneLine(conn.unread().substr(0, 60)));
    }
    // A marker on a fresh connection: once it is logged, the smuggled
    // request would have been logged too, had it run.
    const std::string marker = "/framing-marker-" + std::to_string(index);
    exchangeOnce(d.port(), getRequest(marker));
    if (!eventually([&] { return d.log().find(marker) != std::string::npos; }, 5s))
        problems.push_back("the marker request never reached the log");
    else if (d.log().find(smuggled) != std::string::npos)
        problems.push_back("the smuggled request ran");
    std::string out;
    for (const auto& p : problems)
        out += (out.empty() ? c.name + ": " : "; ") + p;
    return out;
}

void assertAllRefused(
    const std::vector<Case>& cases, int status = 400, const std::string& code = "BAD_REQUEST")
{
    Daemon d(framingDaemon());
    const std::string unmatched404 = "route=\"unmatched\",status=\"404\"";
    const double before = requestsCounted(d, unmatched404);
    std::string failures;
    int index = 0;
    for (const auto& c : cases) {
        std::string why = refusedAndClosed(d, c, index++, status, code);
        if (!why.empty())
            failures += "\n  " + why;
    }
    CPPUNIT_ASSERT_MESSAGE("refusals that did not hold:" + failures, failures.empty());
    // Only the markers reached a route lookup: each is one unmatched 404.
    CPPUNIT_ASSERT_EQUAL(before + index, requestsCounted(d, unmatched404));
    assertStillServing(d);
}

} // namespace

class FramingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FramingTest);
    CPPUNIT_TEST(contentLengthWithChunkedIsRefusedAndClosed);
    CPPUNIT_TEST(repeatedOrListedContentLengthIsRefusedAndClosed);
    CPPUNIT_TEST(transferEncodingOtherThanOneChunkedIsRefusedAndClosed);
    CPPUNIT_TEST(contentLengthThatIsNotPlainDigitsIsRefusedAndClosed);
    CPPUNIT_TEST(malformedChunkSizeIsRefusedAndClosed);
    CPPUNIT_TEST(obsFoldedHeaderIsRefusedAndClosed);
    CPPUNIT_TEST(spaceBeforeHeaderColonIsRefusedAndClosed);
    CPPUNIT_TEST(http11WithoutOrWithTwoHostsIsRefusedAndClosed);
    CPPUNIT_TEST(unknownHttpVersionIs505AndClosed);
    CPPUNIT_TEST(validChunkedBodyIsRead);
    CPPUNIT_TEST(validContentLengthBodyIsRead);
    CPPUNIT_TEST(pipelinedRequestsAreAnsweredInOrder);
    CPPUNIT_TEST(headAnswerCarriesNoBody);
    CPPUNIT_TEST(expectContinueGets100ThenTheAnswer);
    CPPUNIT_TEST(pipelinedRequestsOverTlsAreAnsweredInOrder);
    CPPUNIT_TEST_SUITE_END();

public:
    void contentLengthWithChunkedIsRefusedAndClosed()
    {
        assertAllRefused({
            {"Content-Length then chunked",
                login("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")},
            {"chunked then Content-Length",
                login("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n")},
        });
    }

    void repeatedOrListedContentLengthIsRefusedAndClosed()
    {
        assertAllRefused({
            {"two equal Content-Lengths", login("Content-Length: 5\r\nContent-Length: 5\r\n", "hello")},
            {"two different Content-Lengths", login("Content-Length: 5\r\nContent-Length: 0\r\n", "hello")},
            {"Content-Length: 5, 5", login("Content-Length: 5, 5\r\n", "hello")},
        });
    }

    void transferEncodingOtherThanOneChunkedIsRefusedAndClosed()
    {
        const std::string chunked = "5\r\nhello\r\n0\r\n\r\n";
        assertAllRefused({
            {"Transfer-Encoding: gzip, chunked", login("Transfer-Encoding: gzip, chunked\r\n", chunked)},
            {"Transfer-Encoding: identity", login("Transfer-Encoding: identity\r\n", chunked)},
            {"Transfer-Encoding: xchunked", login("Transfer-Encoding: xchunked\r\n", chunked)},
            {"Transfer-Encoding: chunked, chunked",
                login("Transfer-Encoding: chunked, chunked\r\n", chunked)},
        });
    }

    void contentLengthThatIsNotPlainDigitsIsRefusedAndClosed()
    {
        std::vector<Case> cases;
        for (const std::string value : {"+5", "-1", "0x10", "\" 5\"", "5 5", "12345678901234567890", ""})
            cases.push_back(
                {"Content-Length: " + value, login("Content-Length: " + value + "\r\n", "hello")});
        assertAllRefused(cases);
    }

    void malformedChunkSizeIsRefusedAndClosed()
    {
        assertAllRefused({
            {"chunk size zz", login("Transfer-Encoding: chunked\r\n", "zz\r\nhello\r\n0\r\n\r\n")},
            {"chunk size of 20 hex digits",
                login("Transfer-Encoding: chunked\r\n", "00000000000000000005\r\nhello\r\n0\r\n\r\n")},
        });
    }

    void obsFoldedHeaderIsRefusedAndClosed()
    {
        assertAllRefused({
            {"obs-fold", login("Content-Length: 5\r\nX-Note: first\r\n folded\r\n", "hello")},
            {"obs-fold of Transfer-Encoding",
                login("Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n", "hello")},
        });
    }

    void spaceBeforeHeaderColonIsRefusedAndClosed()
    {
        assertAllRefused({
            {"Content-Length :", login("Content-Length : 5\r\n", "hello")},
            {"Transfer-Encoding :", login("Content-Length: 5\r\nTransfer-Encoding : chunked\r\n", "hello")},
        });
    }

    void http11WithoutOrWithTwoHostsIsRefusedAndClosed()
    {
        assertAllRefused({
            {"HTTP/1.1 without Host", "GET /health/live HTTP/1.1\r\n\r\n"},
            {"two Host headers", "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.org\r\n\r\n"},
        });
    }

    void unknownHttpVersionIs505AndClosed()
    {
        assertAllRefused({{"HTTP/2.0", "GET /health/live HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"}}, 505,
            "HTTP_VERSION_NOT_SUPPORTED");
    }

    // ---- valid framing keeps working --------------------------------------

    void validChunkedBodyIsRead()
    {
        Daemon d(framingDaemon());
        RawConnection conn(d.port());
        // Split mid-token: only a server that joins the chunks sees valid JSON.
        const std::string a = R"({"username":"nobo)", b = R"(dy","password":"not-the-password"})";
        conn.send(login("Transfer-Encoding: chunked\r\n",
            hex(a.size()) + "\r\n" + a + "\r\n" + hex(b.size()) + "\r\n" + b + "\r\n0\r\n\r\n"));
        auto r = conn.readResponse(5s);
        CPPUNIT_ASSERT_MESSAGE("no answer to a chunked login", r);
        // Unknown credentials, not MALFORMED_JSON: the whole body was read.
        assertEnvelope(*r, 401, "UNAUTHENTICATED");
        assertNextRequestServed(conn);
    }

    void validContentLengthBodyIsRead()
    {
        Daemon d(framingDaemon());
        RawConnection conn(d.port());
        const std::string body = R"({"username":"nobody","password":"not-the-password"})";
        conn.send(login("Content-Length: " + std::to_string(body.size()) + "\r\n", body));
        auto r = conn.readResponse(5s);
        CPPUNIT_ASSERT_MESSAGE("no answer to a login", r);
        assertEnvelope(*r, 401, "UNAUTHENTICATED");
        assertNextRequestServed(conn);
    }

    void pipelinedRequestsAreAnsweredInOrder()
    {
        Daemon d(framingDaemon());
        RawConnection conn(d.port());
        conn.send(getRequest("/health/live") + getRequest("/no-such-page") + getRequest("/api/v1/time"));
        auto first = conn.readResponse(5s);
        auto second = conn.readResponse(5s);
        auto third = conn.readResponse(5s);
        CPPUNIT_ASSERT(first && second && third);
        CPPUNIT_ASSERT_EQUAL(200, first->status);
        assertEnvelope(*second, 404, "NOT_FOUND");
        CPPUNIT_ASSERT_EQUAL(200, third->status);
        CPPUNIT_ASSERT_MESSAGE(third->body, third->json()->has("now"));
    }

    void headAnswerCarriesNoBody()
    {
        Daemon d(framingDaemon());
        RawConnection conn(d.port());
        conn.send("HEAD /api/v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        auto head = conn.readResponse(5s, true);
        CPPUNIT_ASSERT_MESSAGE("no answer to HEAD", head);
        // Body bytes after a HEAD answer would be read as the next status line.
        assertNextRequestServed(conn);
    }

    void expectContinueGets100ThenTheAnswer()
    {
        Daemon d(framingDaemon());
        RawConnection conn(d.port());
        const std::string body = R"({"username":"nobody","password":"not-the-password"})";
        conn.send(kLogin + "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
            + std::to_string(body.size()) + "\r\n\r\n");
        auto interim = conn.readResponse(3s);
        CPPUNIT_ASSERT_MESSAGE("no 100 Continue before the body", interim);
        CPPUNIT_ASSERT_EQUAL(100, interim->status);
        conn.send(body);
        auto r = conn.readResponse(5s);
        CPPUNIT_ASSERT_MESSAGE("no answer after the body", r);
        assertEnvelope(*r, 401, "UNAUTHENTICATED");
        assertNextRequestServed(conn);
    }

    void pipelinedRequestsOverTlsAreAnsweredInOrder()
    {
        TempDir keys;
        const std::string cert = keys.file("cert.pem"), key = keys.file("key.pem");
        auto made = runProcess("openssl",
            {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
            {}, "", 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(made.err, 0, made.exitCode);
        auto o = framingDaemon();
        o.config["http.tls.cert"] = cert;
        o.config["http.tls.key"] = key;
        Daemon d(o);
        // s_client -quiet sends both requests at once and prints what comes
        // back until the daemon closes after the second.
        auto r = runProcess("openssl",
            {"s_client", "-quiet", "-connect", "127.0.0.1:" + std::to_string(d.port()), "-CAfile", cert,
                "-verify_return_error", "-servername", "localhost"},
            {}, getRequest("/health/live") + getRequest("/no-such-page", "Connection: close\r\n"), 30);
        const auto first = r.out.find("HTTP/1.1 200");
        const auto second = r.out.find("HTTP/1.1 404");
        CPPUNIT_ASSERT_MESSAGE(r.out + r.err, first != std::string::npos && second != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE("answered out of order: " + r.out, first < second);
        const auto envelope = r.out.find("\"NOT_FOUND\"", second);
        CPPUNIT_ASSERT_MESSAGE("no envelope on the 404: " + r.out, envelope != std::string::npos);
    }

private:
    static std::string hex(std::size_t n)
    {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%zx", n);
        return buf;
    }

    /// The connection is still in step: the next request gets its own answer.
    static void assertNextRequestServed(RawConnection& conn)
    {
        conn.send(getRequest("/health/live"));
        auto r = conn.readResponse(5s);
        CPPUNIT_ASSERT_MESSAGE("no answer to the next request on the connection", r);
        CPPUNIT_ASSERT_EQUAL(200, r->status);
        CPPUNIT_ASSERT_MESSAGE("stray bytes: " + conn.unread(), conn.unread().empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(FramingTest);
