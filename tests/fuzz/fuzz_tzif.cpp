// A zone's rules after its last listed transition come from the POSIX TZ
// footer of its TZif file. The file is the OS's, but a damaged or foreign
// tzdb must not crash the daemon: any bytes are read as a footer or refused,
// and a rule that reads gives, at every instant, one of its two offsets.
// The date and instant parsers booking requests reach are fed the same bytes.

#include <cstdint>
#include <cstring>
#include <string>

#include "TimeZone.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    // The footer rule alone, and the same text inside a TZif v2 frame.
    for (const auto& rule : {scheduling::PosixRule::parse(bytes), scheduling::tzifFooter(bytes),
             scheduling::tzifFooter(std::string("TZif2") + std::string(41, '\0') + "\n" + bytes + "\n")}) {
        if (!rule)
            continue;
        // Offsets a zone can have: within a week either side of UTC.
        check(rule->stdOffset > -7 * 86400 && rule->stdOffset < 7 * 86400);
        // Instants from 1970 to 9999, spread by the input's own bytes.
        std::uint64_t seed = 1469598103934665603ULL;
        for (unsigned char c : bytes)
            seed = (seed ^ c) * 1099511628211ULL;
        for (int i = 0; i < 16; ++i) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const std::int64_t utc = static_cast<std::int64_t>(seed % 253402300800ULL);
            const std::int32_t offset = rule->offsetAt(utc);
            check(offset == rule->stdOffset || (rule->hasDst && offset == rule->dstOffset));
        }
    }
    // Dates and instants of query strings and bodies: what reads, writes back.
    if (auto day = scheduling::parseDate(bytes)) {
        int y = 0, m = 0, d = 0;
        scheduling::civilFromDays(*day, y, m, d);
        char back[16];
        std::snprintf(back, sizeof back, "%04d-%02d-%02d", y, m, d);
        check(bytes == back);
    }
    if (auto utc = scheduling::parseInstant(bytes)) {
        // Rendered with its own offset and read again: the same instant.
        const std::string text = scheduling::formatWithOffset(*utc, 0);
        auto again = scheduling::parseInstant(text);
        check(again && *again == *utc);
    }
    return 0;
}
