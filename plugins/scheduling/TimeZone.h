#pragma once

// IANA time zones read from the operating system's tzdb (/usr/share/zoneinfo
// TZif files, version 2+ 64-bit data plus the POSIX TZ footer for instants
// after the last listed transition). C++17 has no zone support and setting
// TZ per conversion is not thread-safe; a loaded zone is immutable and safe
// to share between threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

class TimeZone {
public:
    /// The zone of this IANA name, or nullptr if the name is not a zone the
    /// system knows. Names are checked before any file is opened.
    static std::shared_ptr<const TimeZone> find(const std::string& name);

    const std::string& name() const { return _name; }
    /// Seconds east of UTC at this instant.
    std::int32_t offsetAt(std::int64_t utc) const;
    /// The UTC instants whose local wall-clock time is `local` (seconds since
    /// 1970-01-01T00:00 read as local time), earliest first: none in a gap
    /// (spring forward), two in an overlap (fall back).
    std::vector<std::int64_t> toUtc(std::int64_t local) const;

    /// Builds a zone from TZif bytes (exposed for tests).
    static std::shared_ptr<const TimeZone> fromTzif(const std::string& name, const std::string& data);

private:
    std::string _name;
    std::vector<std::int64_t> _transitions;
    std::vector<std::int32_t> _offsetAfter; ///< offset from each transition on
    std::int32_t _initialOffset = 0;
    std::optional<PosixRule> _footer;
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
/// RFC 3339 with the given offset, e.g. 2027-03-28T04:00:00+03:00 (Z for 0).
std::string formatWithOffset(std::int64_t utc, std::int32_t offset);
/// An RFC 3339 instant with an explicit offset or Z, as UTC seconds.
std::optional<std::int64_t> parseInstant(const std::string& text);

} // namespace scheduling
