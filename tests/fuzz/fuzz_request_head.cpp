// Request heads and bodies come straight from the network: parsing any bytes
// must never crash, a complete head must say how many bytes it took (within
// the input), and a body decoder must never consume more than it was given
// nor hand out more body than its limit.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/RequestParser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string input(reinterpret_cast<const char*>(data), size);
    clinic::HeadLimits limits;
    limits.maxHeaderBytes = 4096;
    limits.maxTargetBytes = 1024;
    clinic::RequestHead head;
    clinic::FramingError error;
    if (clinic::parseRequestHead(input, limits, head, error) != clinic::ParseResult::Complete)
        return 0;
    if (head.size > input.size())
        __builtin_trap();
    std::string_view rest = std::string_view(input).substr(head.size);
    clinic::BodyDecoder decoder(head.framing, head.contentLength, 2048);
    std::string body;
    // Fed in two pieces, so partial lines are exercised too.
    const std::size_t cut = rest.size() / 2;
    std::size_t used = decoder.feed(rest.substr(0, cut), body);
    if (used > cut)
        __builtin_trap();
    std::string pending = std::string(rest.substr(used));
    used = decoder.feed(pending, body);
    if (used > pending.size() || body.size() > 2048)
        __builtin_trap();
    return 0;
}
