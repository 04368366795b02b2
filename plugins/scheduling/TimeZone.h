#pragma once

// IANA time zones of the operating system's tzdb (/usr/share/zoneinfo),
// looked up and read by Howard Hinnant's date library (libdate-tz, built by
// Debian with USE_OS_TZDB). C++17 has no zone support and setting TZ per
// conversion is not thread-safe; a zone is immutable and safe to share
// between threads.
//
// That library, reading the OS tzdb, ignores the POSIX TZ rule at the end of
// each TZif file, so after the last listed transition (2037 in Debian's
// files, 1996 in "slim" ones) it would keep one offset for ever and lose DST.
// PosixRule applies that rule from the last listed transition on.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace date {
class time_zone;
}

namespace scheduling {

/// The POSIX TZ rule of a TZif footer, e.g. "EET-2EEST,M3.5.0/3,M10.5.0/4".
struct PosixRule {
    std::int32_t stdOffset = 0; ///< seconds east of UTC
    std::int32_t dstOffset = 0;
    bool hasDst = false;
    struct When {
        char kind = 'M'; ///< 'M' (month.week.day), 'J' (1..365, no Feb 29), 'D' (0..365)
        int month = 0, week = 0, day = 0; ///< day: weekday 0=Sunday for M, day number otherwise
        std::int32_t time = 7200; ///< local seconds after midnight (may be negative or > 24 h)
    } start, end;

    static std::optional<PosixRule> parse(const std::string& text);
    std::int32_t offsetAt(std::int64_t utc) const;
};

/// The POSIX TZ rule at the end of a version 2+ TZif file's bytes: the text
/// between its last two newlines (the rule itself holds none); none in
/// version 1 or when the bytes are no TZif file.
std::optional<PosixRule> tzifFooter(const std::string& bytes);

class TimeZone {
public:
    /// The zone of this IANA name, or nullptr if the name is not a zone the
    /// system's tzdb lists (only listed names reach a file, so no path can).
    static std::shared_ptr<const TimeZone> find(const std::string& name);

    const std::string& name() const { return _name; }
    /// Seconds east of UTC at this instant.
    std::int32_t offsetAt(std::int64_t utc) const;
    /// The UTC instants whose local wall-clock time is `local` (seconds since
    /// 1970-01-01T00:00 read as local time), earliest first: none in a gap
    /// (spring forward), two in an overlap (fall back).
    std::vector<std::int64_t> toUtc(std::int64_t local) const;

private:
    std::string _name;
    const date::time_zone* _zone = nullptr; ///< owned by the library's tzdb, lives as long as the process
    std::int64_t _lastListed = 0; ///< UTC start of the last period the TZif file lists
    std::optional<PosixRule> _footer; ///< the file's rule for instants from _lastListed on
};

/// a / b rounded towards minus infinity (days of instants before 1970).
std::int64_t floorDiv(std::int64_t a, std::int64_t b);
/// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
std::int64_t daysFromCivil(int y, int m, int d);
void civilFromDays(std::int64_t z, int& y, int& m, int& d);
/// ISO weekday (1 Monday .. 7 Sunday) of a day number.
int isoWeekday(std::int64_t days);
/// "YYYY-MM-DD" that exists (no Feb 30), as a day number.
std::optional<std::int64_t> parseDate(const std::string& text);
/// A required query parameter holding such a date; when it is missing or no
/// real date, the reason is put in errors[field] and nullopt returned.
std::optional<std::int64_t> requiredDate(const std::optional<std::string>& value, const std::string& field,
    std::map<std::string, std::string>& errors);
/// RFC 3339 with the given offset, e.g. 2027-03-28T04:00:00+03:00 (Z for 0).
std::string formatWithOffset(std::int64_t utc, std::int32_t offset);
/// An RFC 3339 instant with an explicit offset or Z, as UTC seconds.
std::optional<std::int64_t> parseInstant(const std::string& text);

} // namespace scheduling
