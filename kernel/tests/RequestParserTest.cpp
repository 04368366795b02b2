// RequestParser: RFC 9112 framing as the reactor applies it. Every ambiguity a
// proxy in front could read differently is a 400; bodies by Content-Length
// and chunked, split anywhere; pipelined requests.

#include <string>
#include <vector>

#include <cppunit/extensions/HelperMacros.h>

#include "http/RequestParser.h"

using clinic::BodyDecoder;
using clinic::BodyFraming;
using clinic::FramingError;
using clinic::HeadLimits;
using clinic::ParseResult;
using clinic::RequestHead;

namespace {

struct Parsed {
    ParseResult result;
    RequestHead head;
    FramingError error;
};

Parsed parse(const std::string& input, HeadLimits limits = {})
{
    Parsed p;
    p.result = clinic::parseRequestHead(input, limits, p.head, p.error);
    return p;
}

/// A request with the given header lines after Host.
std::string requestWith(const std::string& fields, const std::string& method = "POST")
{
    return method + " /api/v1/x HTTP/1.1\r\nHost: clinic\r\n" + fields + "\r\n";
}

void assertRefused(const std::string& input, int status, const std::string& code)
{
    Parsed p = parse(input);
    CPPUNIT_ASSERT_MESSAGE(input, p.result == ParseResult::Failed);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(input, status, p.error.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(input, code, p.error.code);
}

/// Decodes a body fed in pieces of at most step bytes; returns the body and
/// what was left over after it.
struct Decoded {
    bool complete = false;
    bool failed = false;
    int status = 0;
    std::string body;
    std::string rest;
};

Decoded decode(BodyFraming framing, std::uint64_t length, const std::string& input, std::size_t step,
    std::size_t limit = 1 << 20)
{
    BodyDecoder decoder(framing, length, limit);
    Decoded d;
    std::string pending;
    std::size_t at = 0;
    while (!decoder.complete() && !decoder.failed() && (at < input.size() || !pending.empty())) {
        const std::size_t before = pending.size();
        pending += input.substr(at, step);
        at += pending.size() - before;
        const std::size_t used = decoder.feed(pending, d.body);
        pending.erase(0, used);
        if (used == 0 && at >= input.size())
            break;
    }
    d.complete = decoder.complete();
    d.failed = decoder.failed();
    d.status = decoder.failed() ? decoder.error().status : 0;
    d.rest = pending + input.substr(at);
    return d;
}

const std::string kChunked
    = "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nTrailer-Field: x\r\n\r\nGET /next";

} // namespace

class RequestParserTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RequestParserTest);
    CPPUNIT_TEST(simpleGetIsCompleteWithItsFields);
    CPPUNIT_TEST(headArrivingByteByByteNeedsMoreUntilTheEmptyLine);
    CPPUNIT_TEST(contentLengthWithTransferEncodingIs400);
    CPPUNIT_TEST(twoContentLengthsOrAListAre400);
    CPPUNIT_TEST(transferEncodingOtherThanChunkedIs400);
    CPPUNIT_TEST(chunkedInAnyCaseIsAccepted);
    CPPUNIT_TEST(contentLengthThatIsNotPlainDigitsIs400);
    CPPUNIT_TEST(eighteenDigitContentLengthIsAccepted);
    CPPUNIT_TEST(obsFoldIs400);
    CPPUNIT_TEST(whitespaceBeforeTheColonIs400);
    CPPUNIT_TEST(fieldNameOutsideTcharIs400);
    CPPUNIT_TEST(crOrNulInAValueIs400);
    CPPUNIT_TEST(bareLfIs400);
    CPPUNIT_TEST(malformedRequestLinesAre400);
    CPPUNIT_TEST(otherHttpVersionsAre505);
    CPPUNIT_TEST(http11NeedsExactlyOneHost);
    CPPUNIT_TEST(http10KeepsAliveOnlyWhenAsked);
    CPPUNIT_TEST(connectionCloseEndsKeepAlive);
    CPPUNIT_TEST(expectContinueIsNoticed);
    CPPUNIT_TEST(headerSectionOverTheLimitIs431);
    CPPUNIT_TEST(targetOverTheLimitIs414);
    CPPUNIT_TEST(leadingEmptyLinesAreSkipped);
    CPPUNIT_TEST(chunkedBodySplitAtEveryByteBoundaryDecodesTheSame);
    CPPUNIT_TEST(lengthBodySplitAtEveryByteBoundaryLeavesTheNextRequest);
    CPPUNIT_TEST(malformedChunkFramingIs400);
    CPPUNIT_TEST(chunksOverTheLimitAre413);
    CPPUNIT_TEST(pipelinedRequestsParseOneAfterTheOther);
    CPPUNIT_TEST_SUITE_END();

public:
    void simpleGetIsCompleteWithItsFields()
    {
        const std::string input
            = "GET /health/live?x=1 HTTP/1.1\r\nHost: clinic\r\nX-Request-ID:  abc \r\n\r\n";
        Parsed p = parse(input);
        CPPUNIT_ASSERT(p.result == ParseResult::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("GET"), p.head.method);
        CPPUNIT_ASSERT_EQUAL(std::string("/health/live?x=1"), p.head.target);
        CPPUNIT_ASSERT_EQUAL(1, p.head.minorVersion);
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), p.head.field("x-request-id").value_or(""));
        CPPUNIT_ASSERT_EQUAL(input.size(), p.head.size);
        CPPUNIT_ASSERT(p.head.keepAlive);
        CPPUNIT_ASSERT(!p.head.hasBody());
    }

    void headArrivingByteByByteNeedsMoreUntilTheEmptyLine()
    {
        const std::string input = requestWith("Content-Length: 3\r\n");
        for (std::size_t n = 0; n < input.size(); ++n)
            CPPUNIT_ASSERT_MESSAGE(
                std::to_string(n), parse(input.substr(0, n)).result == ParseResult::NeedMore);
        Parsed p = parse(input);
        CPPUNIT_ASSERT(p.result == ParseResult::Complete);
        CPPUNIT_ASSERT(p.head.framing == BodyFraming::Length);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), p.head.contentLength);
    }

    void contentLengthWithTransferEncodingIs400()
    {
        assertRefused(requestWith("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"), 400, "BAD_REQUEST");
    }

    void twoContentLengthsOrAListAre400()
    {
        assertRefused(requestWith("Content-Length: 5\r\nContent-Length: 5\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("Content-Length: 5\r\ncontent-length: 6\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("Content-Length: 5, 5\r\n"), 400, "BAD_REQUEST");
    }

    void transferEncodingOtherThanChunkedIs400()
    {
        for (const std::string te :
            {"gzip, chunked", "identity", "xchunked", "chunked, chunked", "chunked;x", "gzip"})
            assertRefused(requestWith("Transfer-Encoding: " + te + "\r\n"), 400, "BAD_REQUEST");
        assertRefused(
            requestWith("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400, "BAD_REQUEST");
        // HTTP/1.0 has no chunked coding: its framing cannot be trusted.
        assertRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "BAD_REQUEST");
    }

    void chunkedInAnyCaseIsAccepted()
    {
        for (const std::string te : {"chunked", "Chunked", "CHUNKED", " chunked "}) {
            Parsed p = parse(requestWith("Transfer-Encoding:" + te + "\r\n"));
            CPPUNIT_ASSERT_MESSAGE(te, p.result == ParseResult::Complete);
            CPPUNIT_ASSERT(p.head.framing == BodyFraming::Chunked);
            CPPUNIT_ASSERT(p.head.hasBody());
        }
    }

    void contentLengthThatIsNotPlainDigitsIs400()
    {
        for (const std::string cl : {"+5", "-1", "0x10", "\" 5\"", "5 5", "", "12345678901234567890",
                 "1234567890123456789", "5.0", "1e3"})
            assertRefused(requestWith("Content-Length: " + cl + "\r\n"), 400, "BAD_REQUEST");
    }

    void eighteenDigitContentLengthIsAccepted()
    {
        Parsed p = parse(requestWith("Content-Length: 000000000000000007\r\n"));
        CPPUNIT_ASSERT(p.result == ParseResult::Complete);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(7), p.head.contentLength);
    }

    void obsFoldIs400()
    {
        assertRefused(requestWith("X-Note: one\r\n two\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("X-Note: one\r\n\ttwo\r\n"), 400, "BAD_REQUEST");
    }

    void whitespaceBeforeTheColonIs400()
    {
        assertRefused(requestWith("Content-Length : 5\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("Transfer-Encoding\t: chunked\r\n"), 400, "BAD_REQUEST");
    }

    void fieldNameOutsideTcharIs400()
    {
        for (const std::string name : {"X(y)", "X/y", "X@y", "X\"y", "X{y}", "\xc3\xa9"})
            assertRefused(requestWith(name + ": 1\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith(": no name\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith("NoColon\r\n"), 400, "BAD_REQUEST");
    }

    void crOrNulInAValueIs400()
    {
        assertRefused(requestWith("X-Note: a\rb\r\n"), 400, "BAD_REQUEST");
        assertRefused(requestWith(std::string("X-Note: a\0b\r\n", 14)), 400, "BAD_REQUEST");
    }

    void bareLfIs400()
    {
        assertRefused("GET / HTTP/1.1\nHost: clinic\n\n", 400, "BAD_REQUEST");
        assertRefused("GET / HTTP/1.1\r\nHost: clinic\nX: y\r\n\r\n", 400, "BAD_REQUEST");
    }

    void malformedRequestLinesAre400()
    {
        for (const std::string line : {"GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra", "GET / http/1.1",
                 "GET / HTTP/11", "GET / HTTP/1.10", "G(T / HTTP/1.1", " GET / HTTP/1.1",
                 "GET relative HTTP/1.1", "GET /a\x01 HTTP/1.1", "GET"})
            assertRefused(line + "\r\nHost: clinic\r\n\r\n", 400, "BAD_REQUEST");
    }

    void otherHttpVersionsAre505()
    {
        for (const std::string version : {"HTTP/2.0", "HTTP/0.9", "HTTP/3.0"})
            assertRefused("GET / " + version + "\r\nHost: clinic\r\n\r\n", 505, "HTTP_VERSION_NOT_SUPPORTED");
    }

    void http11NeedsExactlyOneHost()
    {
        assertRefused("GET / HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST");
        assertRefused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "BAD_REQUEST");
        CPPUNIT_ASSERT(parse("GET / HTTP/1.0\r\n\r\n").result == ParseResult::Complete);
    }

    void http10KeepsAliveOnlyWhenAsked()
    {
        Parsed plain = parse("GET / HTTP/1.0\r\n\r\n");
        CPPUNIT_ASSERT_EQUAL(0, plain.head.minorVersion);
        CPPUNIT_ASSERT(!plain.head.keepAlive);
        Parsed asked = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        CPPUNIT_ASSERT(asked.head.keepAlive);
    }

    void connectionCloseEndsKeepAlive()
    {
        CPPUNIT_ASSERT(!parse(requestWith("Connection: close\r\n", "GET")).head.keepAlive);
        CPPUNIT_ASSERT(!parse(requestWith("Connection: keep-alive, Close\r\n", "GET")).head.keepAlive);
        CPPUNIT_ASSERT(parse(requestWith("Connection: keep-alive\r\n", "GET")).head.keepAlive);
    }

    void expectContinueIsNoticed()
    {
        CPPUNIT_ASSERT(
            parse(requestWith("Expect: 100-continue\r\nContent-Length: 4\r\n")).head.expectContinue);
        CPPUNIT_ASSERT(!parse(requestWith("Content-Length: 4\r\n")).head.expectContinue);
    }

    void headerSectionOverTheLimitIs431()
    {
        HeadLimits limits;
        limits.maxHeaderBytes = 1024;
        const std::string big = "X-Big: " + std::string(1100, 'a') + "\r\n";
        Parsed complete = parse(requestWith(big, "GET"), limits);
        CPPUNIT_ASSERT(complete.result == ParseResult::Failed);
        CPPUNIT_ASSERT_EQUAL(431, complete.error.status);
        CPPUNIT_ASSERT_EQUAL(std::string("HEADERS_TOO_LARGE"), complete.error.code);
        // Decided before the end of the head arrives, so it cannot be used to fill memory.
        Parsed partial = parse("GET / HTTP/1.1\r\nHost: clinic\r\n" + big.substr(0, 1060), limits);
        CPPUNIT_ASSERT(partial.result == ParseResult::Failed);
        CPPUNIT_ASSERT_EQUAL(431, partial.error.status);
        // Just under the limit is fine.
        Parsed fits = parse(requestWith("X-Big: " + std::string(900, 'a') + "\r\n", "GET"), limits);
        CPPUNIT_ASSERT(fits.result == ParseResult::Complete);
    }

    void targetOverTheLimitIs414()
    {
        const std::string target = "/" + std::string(8200, 'a');
        assertRefused("GET " + target + " HTTP/1.1\r\nHost: clinic\r\n\r\n", 414, "URI_TOO_LONG");
        Parsed partial = parse("GET " + target + target);
        CPPUNIT_ASSERT(partial.result == ParseResult::Failed);
        CPPUNIT_ASSERT_EQUAL(414, partial.error.status);
        Parsed fits = parse("GET /" + std::string(8000, 'a') + " HTTP/1.1\r\nHost: clinic\r\n\r\n");
        CPPUNIT_ASSERT(fits.result == ParseResult::Complete);
    }

    void leadingEmptyLinesAreSkipped()
    {
        Parsed p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: clinic\r\n\r\n");
        CPPUNIT_ASSERT(p.result == ParseResult::Complete);
        CPPUNIT_ASSERT_EQUAL(std::string("/"), p.head.target);
    }

    void chunkedBodySplitAtEveryByteBoundaryDecodesTheSame()
    {
        for (std::size_t step = 1; step <= kChunked.size(); ++step) {
            Decoded d = decode(BodyFraming::Chunked, 0, kChunked, step);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(step), d.complete);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(step), std::string("hello, world"), d.body);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(step), std::string("GET /next"), d.rest);
        }
        // One split point at a time, in two feeds.
        for (std::size_t cut = 0; cut <= kChunked.size(); ++cut) {
            BodyDecoder decoder(BodyFraming::Chunked, 0, 1 << 20);
            std::string body;
            std::string pending = kChunked.substr(0, cut);
            pending.erase(0, decoder.feed(pending, body));
            pending += kChunked.substr(cut);
            pending.erase(0, decoder.feed(pending, body));
            CPPUNIT_ASSERT_MESSAGE(std::to_string(cut), decoder.complete());
            CPPUNIT_ASSERT_EQUAL(std::string("hello, world"), body);
            CPPUNIT_ASSERT_EQUAL(std::string("GET /next"), pending);
        }
    }

    void lengthBodySplitAtEveryByteBoundaryLeavesTheNextRequest()
    {
        const std::string input = "0123456789GET / HTTP/1.1\r\n";
        for (std::size_t step = 1; step <= input.size(); ++step) {
            Decoded d = decode(BodyFraming::Length, 10, input, step);
            CPPUNIT_ASSERT(d.complete);
            CPPUNIT_ASSERT_EQUAL(std::string("0123456789"), d.body);
            CPPUNIT_ASSERT_EQUAL(std::string("GET / HTTP/1.1\r\n"), d.rest);
        }
    }

    void malformedChunkFramingIs400()
    {
        for (const std::string bad : {"x\r\nhello\r\n0\r\n\r\n", "\r\nhello\r\n0\r\n\r\n",
                 "5\r\nhelloXX0\r\n\r\n", "5\nhello\r\n0\r\n\r\n", "5 x\r\nhello\r\n0\r\n\r\n",
                 "-5\r\nhello\r\n0\r\n\r\n", "0x5\r\nhello\r\n0\r\n\r\n", "1111111111111111\r\n",
                 "5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", "5\r\nhello\r\r\n0\r\n\r\n"}) {
            Decoded d = decode(BodyFraming::Chunked, 0, bad, bad.size());
            CPPUNIT_ASSERT_MESSAGE(bad, d.failed);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, d.status);
        }
        // A chunk extension after optional whitespace is fine.
        Decoded ext = decode(BodyFraming::Chunked, 0, "5 ;a=b\r\nhello\r\n0\r\n\r\n", 64);
        CPPUNIT_ASSERT(ext.complete);
    }

    void chunksOverTheLimitAre413()
    {
        // No one chunk is over the limit: their sum is.
        Decoded d = decode(BodyFraming::Chunked, 0, "4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n", 3, 6);
        CPPUNIT_ASSERT(d.failed);
        CPPUNIT_ASSERT_EQUAL(413, d.status);
        Decoded atLimit = decode(BodyFraming::Chunked, 0, "4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n", 3, 8);
        CPPUNIT_ASSERT(atLimit.complete);
        Decoded byLength = decode(BodyFraming::Length, 9, "123456789", 9, 8);
        CPPUNIT_ASSERT(byLength.failed);
        CPPUNIT_ASSERT_EQUAL(413, byLength.status);
    }

    void pipelinedRequestsParseOneAfterTheOther()
    {
        std::string input
            = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
              "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
              "POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"
              "GET /four HTTP/1.1\r\nHost: a\r\n\r\n";
        std::vector<std::string> seen;
        while (!input.empty()) {
            Parsed p = parse(input);
            CPPUNIT_ASSERT_MESSAGE(input, p.result == ParseResult::Complete);
            input.erase(0, p.head.size);
            BodyDecoder body(p.head.framing, p.head.contentLength, 1024);
            std::string text;
            input.erase(0, body.feed(input, text));
            CPPUNIT_ASSERT(body.complete());
            seen.push_back(p.head.target + ":" + text);
        }
        const std::vector<std::string> expected = {"/one:", "/two:abc", "/three:z", "/four:"};
        CPPUNIT_ASSERT(expected == seen);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RequestParserTest);
