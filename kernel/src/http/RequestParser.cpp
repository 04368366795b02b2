#include "http/RequestParser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace clinic {

namespace {

constexpr std::size_t kMaxLeadingEmptyLines = 8;
constexpr std::size_t kMaxChunkLine = 1024;
constexpr std::size_t kMaxChunkSizeDigits = 15; // 2^60: no overflow, far over any limit

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string_view trimWhitespace(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool allDigits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
}

ParseResult failWith(FramingError& error, int status, const char* code, std::string message)
{
    error.status = status;
    error.code = code;
    error.message = std::move(message);
    return ParseResult::Failed;
}

ParseResult parseRequestLine(
    std::string_view line, const HeadLimits& limits, RequestHead& head, FramingError& error)
{
    const auto sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0)
        return failWith(error, 400, "BAD_REQUEST", "the request line is not METHOD SP target SP HTTP/1.x");
    const std::string_view method = line.substr(0, sp1);
    if (!std::all_of(method.begin(), method.end(), isTokenChar))
        return failWith(error, 400, "BAD_REQUEST", "the request method is not a token");
    const auto sp2 = line.find(' ', sp1 + 1);
    const std::string_view target
        = line.substr(sp1 + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp1 - 1);
    if (target.size() > limits.maxTargetBytes)
        return failWith(error, 414, "URI_TOO_LONG",
            "the request target is over " + std::to_string(limits.maxTargetBytes) + " bytes");
    if (sp2 == std::string_view::npos || target.empty())
        return failWith(error, 400, "BAD_REQUEST", "the request line is not METHOD SP target SP HTTP/1.x");
    if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        return failWith(error, 400, "BAD_REQUEST", "the request target has a character it may not have");
    if (target.front() != '/' && target != "*" && target.find("://") == std::string_view::npos)
        return failWith(error, 400, "BAD_REQUEST", "the request target is not a path");
    const std::string_view version = line.substr(sp2 + 1);
    const bool wellFormed = version.size() == 8 && version.compare(0, 5, "HTTP/") == 0
        && std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.'
        && std::isdigit(static_cast<unsigned char>(version[7]));
    if (!wellFormed)
        return failWith(error, 400, "BAD_REQUEST", "the request line is not METHOD SP target SP HTTP/1.x");
    if (version[5] != '1')
        return failWith(error, 505, "HTTP_VERSION_NOT_SUPPORTED", "only HTTP/1.0 and HTTP/1.1 are served");
    head.method = std::string(method);
    head.target = std::string(target);
    head.minorVersion = version[7] == '0' ? 0 : 1;
    return ParseResult::Complete;
}

ParseResult parseFieldLine(std::string_view line, RequestHead& head, FramingError& error)
{
    if (line.front() == ' ' || line.front() == '\t')
        return failWith(error, 400, "BAD_REQUEST", "a header line is folded (obs-fold)");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
        return failWith(error, 400, "BAD_REQUEST", "a header line has no field name and colon");
    const std::string_view name = line.substr(0, colon);
    if (name.back() == ' ' || name.back() == '\t')
        return failWith(error, 400, "BAD_REQUEST", "whitespace between a header name and its colon");
    if (!std::all_of(name.begin(), name.end(), isTokenChar))
        return failWith(error, 400, "BAD_REQUEST", "a header name has a character it may not have");
    const std::string_view value = trimWhitespace(line.substr(colon + 1));
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
        return failWith(error, 400, "BAD_REQUEST", "a header value has CR, LF or NUL in it");
    head.fields.emplace_back(std::string(name), std::string(value));
    return ParseResult::Complete;
}

/// The body framing and connection semantics the fields ask for.
ParseResult applyFields(RequestHead& head, FramingError& error)
{
    int hosts = 0;
    int lengths = 0;
    int encodings = 0;
    std::string length;
    std::string encoding;
    bool close = false;
    bool keepAlive = false;
    for (const auto& [name, value] : head.fields) {
        if (equalsIgnoreCase(name, "host")) {
            ++hosts;
        } else if (equalsIgnoreCase(name, "content-length")) {
            ++lengths;
            length = value;
        } else if (equalsIgnoreCase(name, "transfer-encoding")) {
            ++encodings;
            encoding = value;
        } else if (equalsIgnoreCase(name, "connection")) {
            std::string_view rest = value;
            while (!rest.empty()) {
                const auto comma = rest.find(',');
                const std::string_view token = trimWhitespace(rest.substr(0, comma));
                close = close || equalsIgnoreCase(token, "close");
                keepAlive = keepAlive || equalsIgnoreCase(token, "keep-alive");
                rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        } else if (equalsIgnoreCase(name, "expect")) {
            head.expectContinue = head.minorVersion == 1 && equalsIgnoreCase(value, "100-continue");
        }
    }
    if (head.minorVersion == 1 && hosts != 1)
        return failWith(error, 400, "BAD_REQUEST", "an HTTP/1.1 request needs exactly one Host header");
    if (hosts > 1)
        return failWith(error, 400, "BAD_REQUEST", "more than one Host header");
    // Two readings of one message are how requests get smuggled past a proxy:
    // every ambiguity is refused rather than resolved.
    if (lengths > 0 && encodings > 0)
        return failWith(error, 400, "BAD_REQUEST", "both Content-Length and Transfer-Encoding");
    if (lengths > 1)
        return failWith(error, 400, "BAD_REQUEST", "more than one Content-Length header");
    if (lengths == 1) {
        if (!allDigits(length) || length.size() > 18)
            return failWith(error, 400, "BAD_REQUEST", "the Content-Length is not a plain decimal number");
        head.framing = BodyFraming::Length;
        head.contentLength = std::stoull(length);
    }
    if (encodings > 0) {
        if (head.minorVersion == 0)
            return failWith(error, 400, "BAD_REQUEST", "Transfer-Encoding in an HTTP/1.0 request");
        if (encodings > 1 || !equalsIgnoreCase(encoding, "chunked"))
            return failWith(error, 400, "BAD_REQUEST", "the only Transfer-Encoding served is chunked");
        head.framing = BodyFraming::Chunked;
    }
    head.keepAlive = !close && (head.minorVersion == 1 || keepAlive);
    return ParseResult::Complete;
}

} // namespace

bool isTokenChar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::optional<std::string> RequestHead::field(std::string_view name) const
{
    for (const auto& [n, v] : fields)
        if (equalsIgnoreCase(n, name))
            return v;
    return std::nullopt;
}

ParseResult parseRequestHead(
    std::string_view input, const HeadLimits& limits, RequestHead& head, FramingError& error)
{
    head = RequestHead();
    std::size_t pos = 0;
    for (std::size_t skipped = 0; input.compare(pos, 2, "\r\n") == 0; ++skipped) {
        if (skipped == kMaxLeadingEmptyLines)
            return failWith(error, 400, "BAD_REQUEST", "too many empty lines before the request");
        pos += 2;
    }
    auto lineEnd = input.find("\r\n", pos);
    if (lineEnd == std::string_view::npos) {
        if (input.find('\n', pos) != std::string_view::npos)
            return failWith(error, 400, "BAD_REQUEST", "a line ends in a bare LF");
        // The longest request line worth waiting for: a method, the longest
        // target and the version.
        if (input.size() - pos > limits.maxTargetBytes + 64)
            return failWith(error, 414, "URI_TOO_LONG",
                "the request target is over " + std::to_string(limits.maxTargetBytes) + " bytes");
        return ParseResult::NeedMore;
    }
    if (parseRequestLine(input.substr(pos, lineEnd - pos), limits, head, error) == ParseResult::Failed)
        return ParseResult::Failed;
    pos = lineEnd + 2;
    const std::size_t fieldsStart = pos;
    const auto tooLarge = [&] {
        return failWith(error, 431, "HEADERS_TOO_LARGE",
            "the request headers are over " + std::to_string(limits.maxHeaderBytes) + " bytes");
    };
    for (;;) {
        lineEnd = input.find("\r\n", pos);
        if (lineEnd == std::string_view::npos) {
            if (input.size() - fieldsStart > limits.maxHeaderBytes)
                return tooLarge();
            if (input.find('\n', pos) != std::string_view::npos)
                return failWith(error, 400, "BAD_REQUEST", "a line ends in a bare LF");
            return ParseResult::NeedMore;
        }
        if (lineEnd + 2 - fieldsStart > limits.maxHeaderBytes)
            return tooLarge();
        if (lineEnd == pos)
            break;
        if (parseFieldLine(input.substr(pos, lineEnd - pos), head, error) == ParseResult::Failed)
            return ParseResult::Failed;
        pos = lineEnd + 2;
    }
    head.size = lineEnd + 2;
    return applyFields(head, error);
}

BodyDecoder::BodyDecoder(
    BodyFraming framing, std::uint64_t contentLength, std::size_t limit, std::size_t maxTrailerBytes)
    : _framing(framing)
    , _limit(limit)
    , _maxTrailerBytes(maxTrailerBytes)
{
    if (framing == BodyFraming::Chunked)
        return;
    _remaining = framing == BodyFraming::Length ? contentLength : 0;
    if (_remaining > _limit)
        fail(413, "PAYLOAD_TOO_LARGE",
            "the request body is over the limit of " + std::to_string(_limit) + " bytes");
    else
        _state = _remaining == 0 ? State::Done : State::Data;
}

bool BodyDecoder::fail(int status, std::string code, std::string message)
{
    _state = State::Failed;
    _error.status = status;
    _error.code = std::move(code);
    _error.message = std::move(message);
    return false;
}

bool BodyDecoder::takeLine(std::string_view input, std::size_t& at, std::size_t cap)
{
    const auto lf = input.find('\n', at);
    const std::size_t end = lf == std::string_view::npos ? input.size() : lf;
    _line.append(input.data() + at, end - at);
    at = lf == std::string_view::npos ? input.size() : lf + 1;
    if (_line.size() > cap)
        return fail(400, "BAD_REQUEST", "a chunk line is too long");
    if (lf == std::string_view::npos)
        return false;
    if (_line.empty() || _line.back() != '\r')
        return fail(400, "BAD_REQUEST", "a chunk line ends in a bare LF");
    _line.pop_back();
    if (_line.find('\r') != std::string::npos)
        return fail(400, "BAD_REQUEST", "a chunk line has a bare CR");
    return true;
}

bool BodyDecoder::sizeLine(const std::string& line)
{
    std::size_t digits = 0;
    while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits])))
        ++digits;
    if (digits == 0 || digits > kMaxChunkSizeDigits)
        return fail(400, "BAD_REQUEST", "a chunk size is not a hexadecimal number");
    // Only chunk extensions may follow the size: BWS ";" ... (RFC 9112 7.1.1).
    std::string_view rest = std::string_view(line).substr(digits);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
        rest.remove_prefix(1);
    if (!rest.empty() && rest.front() != ';')
        return fail(400, "BAD_REQUEST", "a chunk size is followed by something other than an extension");
    if (std::any_of(
            rest.begin(), rest.end(), [](char c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; }))
        return fail(400, "BAD_REQUEST", "a chunk extension has a control character");
    const std::uint64_t size = std::stoull(line.substr(0, digits), nullptr, 16);
    if (size == 0) {
        _state = State::Trailer;
        return true;
    }
    if (size > _limit || _received + size > _limit)
        return fail(413, "PAYLOAD_TOO_LARGE",
            "the request body is over the limit of " + std::to_string(_limit) + " bytes");
    _remaining = size;
    _state = State::Data;
    return true;
}

bool BodyDecoder::trailerLine(const std::string& line)
{
    _trailerBytes += line.size() + 2;
    if (_trailerBytes > _maxTrailerBytes)
        return fail(400, "BAD_REQUEST", "the trailer section is too large");
    RequestHead ignored;
    FramingError error;
    if (parseFieldLine(line, ignored, error) == ParseResult::Failed)
        return fail(400, "BAD_REQUEST", "a trailer line is malformed");
    return true;
}

std::size_t BodyDecoder::feed(std::string_view input, std::string& body)
{
    std::size_t at = 0;
    while (at < input.size() && _state != State::Done && _state != State::Failed) {
        switch (_state) {
        case State::SizeLine:
            if (takeLine(input, at, kMaxChunkLine)) {
                sizeLine(_line);
                _line.clear();
            }
            break;
        case State::Data: {
            const std::size_t n
                = static_cast<std::size_t>(std::min<std::uint64_t>(_remaining, input.size() - at));
            body.append(input.data() + at, n);
            at += n;
            _remaining -= n;
            _received += n;
            if (_remaining == 0)
                _state = _framing == BodyFraming::Chunked ? State::DataEnd : State::Done;
            break;
        }
        case State::DataEnd:
            // Exactly CRLF after the chunk data; anything else is a broken frame.
            if (takeLine(input, at, 1)) {
                if (!_line.empty())
                    fail(400, "BAD_REQUEST", "chunk data is not followed by CRLF");
                else
                    _state = State::SizeLine;
                _line.clear();
            }
            break;
        case State::Trailer:
            if (takeLine(input, at, _maxTrailerBytes)) {
                if (_line.empty())
                    _state = State::Done;
                else
                    trailerLine(_line);
                _line.clear();
            }
            break;
        case State::Done:
        case State::Failed:
            break;
        }
    }
    return at;
}

} // namespace clinic
