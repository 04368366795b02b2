#pragma once

// iCalendar (RFC 5545) text for appointments: one VEVENT per appointment
// with a stable UID, SEQUENCE raised on every change, STATUS CANCELLED for a
// cancelled one, and DTSTART/DTEND as UTC instants (RFC 5545 3.3.5 form 2),
// which every calendar shows in its user's own zone.

#include <cstdint>
#include <string>
#include <vector>

namespace scheduling {

struct CalendarEvent {
    std::string uid;
    std::int64_t sequence = 0;
    std::int64_t lastModifiedUtc = 0; ///< LAST-MODIFIED: when the appointment last changed
    std::int64_t startUtc = 0, endUtc = 0;
    std::string summary, location, description;
    std::string timezone; ///< the location's zone, as X-CLINICD-TZID for reference
    std::string status; ///< TENTATIVE, CONFIRMED or CANCELLED
};

/// TEXT escaping of RFC 5545 3.3.11 (backslash, semicolon, comma, newline).
std::string icalEscape(const std::string& text);
/// Folds a content line to 75 octets per line (RFC 5545 3.1), never inside a
/// UTF-8 sequence; lines end in CRLF.
std::string icalFold(const std::string& line);
/// A VCALENDAR with one VEVENT per event; DTSTAMP is nowUtc, when the text
/// was made (RFC 5545 3.8.7.2 with METHOD).
std::string renderCalendar(const std::string& name, const std::vector<CalendarEvent>& events, std::int64_t nowUtc);

} // namespace scheduling
