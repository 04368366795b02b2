// Appointment summaries, locations and notes reach calendar feeds as
// iCalendar TEXT. For any bytes: escaping reads back to the text (RFC 5545
// 3.3.11, with CR dropped and other control characters as spaces), and every
// folded line is at most 75 octets, never starts a continuation inside a
// UTF-8 sequence of valid text, and unfolds to the line it came from.

#include <cstdint>
#include <string>
#include <vector>

#include "Calendar.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

/// RFC 5545's reading of escaped TEXT.
std::string unescape(const std::string& text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        check(i + 1 < text.size()); // a lone backslash at the end is no escape
        const char next = text[++i];
        check(next == '\\' || next == ';' || next == ',' || next == 'n');
        out += next == 'n' ? '\n' : next;
    }
    return out;
}

/// What escaping keeps of text: CR goes, other controls become spaces.
std::string expected(const std::string& text)
{
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r')
            continue;
        out += (u < 0x20 && c != '\n') || u == 0x7F ? ' ' : c;
    }
    return out;
}

bool validUtf8(const std::string& s)
{
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > s.size())
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

/// line holds no CR LF of its own (escaped TEXT never does).
void checkFolded(const std::string& line)
{
    const std::string folded = scheduling::icalFold(line);
    check(folded.size() >= 2 && folded.compare(folded.size() - 2, 2, "\r\n") == 0);
    std::string unfolded;
    std::size_t start = 0;
    bool first = true;
    while (start < folded.size()) {
        const std::size_t end = folded.find("\r\n", start);
        check(end != std::string::npos);
        std::string physical = folded.substr(start, end - start);
        check(physical.size() <= 75);
        if (!first) {
            check(!physical.empty() && physical[0] == ' ');
            physical.erase(0, 1);
            // A continuation starts on a character, not inside one.
            if (validUtf8(line))
                check(physical.empty() || (static_cast<unsigned char>(physical[0]) & 0xC0) != 0x80);
        }
        unfolded += physical;
        first = false;
        start = end + 2;
    }
    check(unfolded == line);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string escaped = scheduling::icalEscape(text);
    check(escaped.find_first_of("\r\n") == std::string::npos);
    check(unescape(escaped) == expected(text));
    checkFolded("SUMMARY:" + escaped);
    if (text.find("\r\n") == std::string::npos)
        checkFolded(text);

    // A whole feed: no line over 75 octets, and the escaped fields unfold intact.
    scheduling::CalendarEvent event;
    event.uid = "appointment-1@clinicd";
    event.startUtc = 1806300000;
    event.endUtc = 1806301800;
    event.summary = text;
    event.location = text.substr(0, text.size() / 2);
    event.description = text;
    event.status = "CONFIRMED";
    const std::string feed = scheduling::renderCalendar(text, {event}, 1806200000);
    std::string unfolded;
    for (std::size_t start = 0; start < feed.size();) {
        const std::size_t end = feed.find("\r\n", start);
        check(end != std::string::npos && end - start <= 75);
        start = end + 2;
    }
    for (std::size_t i = 0; i < feed.size(); ++i)
        if (feed.compare(i, 3, "\r\n ") == 0)
            i += 2;
        else
            unfolded += feed[i];
    check(unfolded.find("SUMMARY:" + escaped + "\r\n") != std::string::npos);
    return 0;
}
