#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clinic {

/// Why a request cannot be served, as the server answers it: status, error
/// code and message of the error envelope. Every framing fault closes the
/// connection, since nothing after it can be trusted to start a request.
struct FramingError {
    int status = 400;
    std::string code = "BAD_REQUEST";
    std::string message;
};

/// How the body of a request is delimited (RFC 9112 section 6).
enum class BodyFraming { None, Length, Chunked };

/// A request line and header section, checked against RFC 9112.
struct RequestHead {
    std::string method;
    std::string target;
    int minorVersion = 1; ///< HTTP/1.0 or HTTP/1.1
    std::vector<std::pair<std::string, std::string>> fields; ///< names as sent, values trimmed
    BodyFraming framing = BodyFraming::None;
    std::uint64_t contentLength = 0;
    bool keepAlive = true; ///< what the client asked for, by version and Connection
    bool expectContinue = false;
    std::size_t size = 0; ///< bytes of input the head took, its final empty line included

    /// The first value of a field, by case-insensitive name.
    std::optional<std::string> field(std::string_view name) const;
    bool hasBody() const { return framing == BodyFraming::Chunked || contentLength > 0; }
};

struct HeadLimits {
    std::size_t maxHeaderBytes = 16384; ///< the field lines, request line excluded (431 above)
    std::size_t maxTargetBytes = 8192; ///< the request target (414 above)
};

enum class ParseResult { NeedMore, Complete, Failed };

/// Parses the request head at the front of input. Pure: the same bytes always
/// give the same answer, so the reactor can call it again as bytes arrive.
/// Empty lines before the request line are skipped (RFC 9112 2.2).
ParseResult parseRequestHead(
    std::string_view input, const HeadLimits& limits, RequestHead& head, FramingError& error);

/// Reads one body, by Content-Length or chunked, out of the bytes that follow
/// its head; what it does not consume belongs to the next request.
class BodyDecoder {
public:
    /// limit: the most body bytes accepted (413 PAYLOAD_TOO_LARGE above).
    BodyDecoder(BodyFraming framing, std::uint64_t contentLength, std::size_t limit,
        std::size_t maxTrailerBytes = 16384);

    /// Takes bytes from the front of input and appends body bytes to body.
    /// Returns how many bytes of input it consumed.
    std::size_t feed(std::string_view input, std::string& body);

    bool complete() const { return _state == State::Done; }
    bool failed() const { return _state == State::Failed; }
    const FramingError& error() const { return _error; }
    std::uint64_t received() const { return _received; }

private:
    enum class State { SizeLine, Data, DataEnd, Trailer, Done, Failed };
    bool fail(int status, std::string code, std::string message);
    bool sizeLine(const std::string& line);
    bool trailerLine(const std::string& line);
    /// Collects one CRLF-terminated line into _line; true once complete.
    bool takeLine(std::string_view input, std::size_t& at, std::size_t cap);

    BodyFraming _framing;
    std::size_t _limit;
    std::size_t _maxTrailerBytes;
    State _state = State::SizeLine;
    std::uint64_t _remaining = 0; ///< of the current chunk or of the Content-Length body
    std::uint64_t _received = 0; ///< body bytes so far
    std::size_t _trailerBytes = 0;
    std::string _line;
    FramingError _error;
};

/// True if c is a tchar (RFC 9110 5.6.2): what field names and methods are made of.
bool isTokenChar(char c);

} // namespace clinic
