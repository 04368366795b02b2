#include "Calendar.h"

#include <cstdio>

#include "TimeZone.h"

namespace scheduling {

namespace {

/// 20270328T060000Z
std::string utcStamp(std::int64_t utc)
{
    std::string s = formatWithOffset(utc, 0); // 2027-03-28T06:00:00Z
    std::string out;
    for (char c : s)
        if (c != '-' && c != ':')
            out += c;
    return out;
}

} // namespace

std::string icalEscape(const std::string& text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case ';':
            out += "\\;";
            break;
        case ',':
            out += "\\,";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            break;
        default:
            // Other control characters are not allowed in TEXT.
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
                out += ' ';
            else
                out += c;
        }
    }
    return out;
}

std::string icalFold(const std::string& line)
{
    std::string out;
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size();) {
        // The length of the UTF-8 sequence starting here.
        const unsigned char c = static_cast<unsigned char>(line[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (i + len > line.size())
            len = line.size() - i;
        if (width + len > 75) {
            out += "\r\n ";
            width = 1;
        }
        out.append(line, i, len);
        width += len;
        i += len;
    }
    return out + "\r\n";
}

std::string renderCalendar(const std::string& name, const std::vector<CalendarEvent>& events, std::int64_t nowUtc)
{
    std::string out;
    auto line = [&](const std::string& text) { out += icalFold(text); };
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//clinicd//clinicd appointments//EN");
    line("CALSCALE:GREGORIAN");
    line("METHOD:PUBLISH");
    line("X-WR-CALNAME:" + icalEscape(name));
    for (const auto& e : events) {
        line("BEGIN:VEVENT");
        line("UID:" + e.uid);
        line("DTSTAMP:" + utcStamp(nowUtc));
        line("LAST-MODIFIED:" + utcStamp(e.lastModifiedUtc));
        line("SEQUENCE:" + std::to_string(e.sequence));
        line("DTSTART:" + utcStamp(e.startUtc));
        line("DTEND:" + utcStamp(e.endUtc));
        line("SUMMARY:" + icalEscape(e.summary));
        if (!e.location.empty())
            line("LOCATION:" + icalEscape(e.location));
        if (!e.description.empty())
            line("DESCRIPTION:" + icalEscape(e.description));
        line("STATUS:" + e.status);
        if (!e.timezone.empty())
            line("X-CLINICD-TZID:" + icalEscape(e.timezone));
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    return out;
}

} // namespace scheduling
