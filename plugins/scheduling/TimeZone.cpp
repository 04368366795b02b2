#include "TimeZone.h"

#include <date/tz.h>

#include "clinic/Time.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace scheduling {

std::int64_t floorDiv(std::int64_t a, std::int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

namespace {

bool isLeap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m)
{
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

/// [+-]h[h][:mm[:ss]] as seconds; advances pos.
bool parseHms(const std::string& s, std::size_t& pos, std::int32_t& out)
{
    int sign = 1;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        sign = s[pos] == '-' ? -1 : 1;
        ++pos;
    }
    auto number = [&](int maxDigits, int& value) {
        std::size_t start = pos;
        value = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))
            && pos - start < static_cast<std::size_t>(maxDigits))
            value = value * 10 + (s[pos++] - '0');
        return pos > start;
    };
    int h = 0, m = 0, sec = 0;
    if (!number(3, h) || h > 167)
        return false;
    if (pos < s.size() && s[pos] == ':') {
        ++pos;
        if (!number(2, m) || m > 59)
            return false;
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!number(2, sec) || sec > 59)
                return false;
        }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
}

bool parseName(const std::string& s, std::size_t& pos)
{
    std::size_t start = pos;
    if (pos < s.size() && s[pos] == '<') {
        std::size_t close = s.find('>', pos);
        if (close == std::string::npos)
            return false;
        pos = close + 1;
        return close - start >= 4;
    }
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos])))
        ++pos;
    return pos - start >= 3;
}

bool parseWhen(const std::string& s, std::size_t& pos, PosixRule::When& w)
{
    auto number = [&](int& value) {
        std::size_t start = pos;
        value = 0;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])) && pos - start < 3)
            value = value * 10 + (s[pos++] - '0');
        return pos > start;
    };
    if (pos < s.size() && s[pos] == 'M') {
        ++pos;
        w.kind = 'M';
        if (!number(w.month) || w.month < 1 || w.month > 12 || pos >= s.size() || s[pos++] != '.')
            return false;
        if (!number(w.week) || w.week < 1 || w.week > 5 || pos >= s.size() || s[pos++] != '.')
            return false;
        if (!number(w.day) || w.day > 6)
            return false;
    } else if (pos < s.size() && s[pos] == 'J') {
        ++pos;
        w.kind = 'J';
        if (!number(w.day) || w.day < 1 || w.day > 365)
            return false;
    } else {
        w.kind = 'D';
        if (!number(w.day) || w.day > 365)
            return false;
    }
    w.time = 7200;
    if (pos < s.size() && s[pos] == '/') {
        ++pos;
        return parseHms(s, pos, w.time);
    }
    return true;
}

/// The day number on which a rule's transition falls in year y.
std::int64_t dayOf(const PosixRule::When& w, int y)
{
    if (w.kind == 'J')
        return daysFromCivil(y, 1, 1) + w.day - 1 + (isLeap(y) && w.day >= 60 ? 1 : 0);
    if (w.kind == 'D')
        return daysFromCivil(y, 1, 1) + w.day;
    const std::int64_t first = daysFromCivil(y, w.month, 1);
    const int firstWeekday = static_cast<int>(((first % 7) + 11) % 7); // 0 = Sunday; 1970-01-01 was Thursday
    std::int64_t day = first + (w.day - firstWeekday + 7) % 7 + (w.week - 1) * 7;
    while (day >= first + daysInMonth(y, w.month))
        day -= 7;
    return day;
}

} // namespace

std::int64_t daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const std::int64_t era = floorDiv(y, 400);
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civilFromDays(std::int64_t z, int& y, int& m, int& d)
{
    z += 719468;
    const std::int64_t era = floorDiv(z, 146097);
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

int isoWeekday(std::int64_t days)
{
    return static_cast<int>(((days % 7) + 7 + 3) % 7) + 1; // 1970-01-01 was a Thursday (4)
}

std::optional<std::int64_t> requiredDate(const std::optional<std::string>& value, const std::string& field,
    std::map<std::string, std::string>& errors)
{
    if (!value) {
        errors[field] = "is required (a local date YYYY-MM-DD)";
        return std::nullopt;
    }
    auto day = parseDate(*value);
    if (!day)
        errors[field] = "is not a date YYYY-MM-DD that exists";
    return day;
}

std::optional<std::int64_t> parseDate(const std::string& t)
{
    if (t.size() != 10 || t[4] != '-' || t[7] != '-')
        return std::nullopt;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!std::isdigit(static_cast<unsigned char>(t[i])))
            return std::nullopt;
    const int y = std::stoi(t.substr(0, 4)), m = std::stoi(t.substr(5, 2)), d = std::stoi(t.substr(8, 2));
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m))
        return std::nullopt;
    return daysFromCivil(y, m, d);
}

std::string formatWithOffset(std::int64_t utc, std::int32_t offset)
{
    // The wall-clock time written as if it were UTC, then its offset for the Z.
    std::string out = clinic::formatRfc3339(utc + offset);
    if (offset == 0)
        return out;
    out.pop_back();
    const int a = std::abs(offset);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    return out + buf;
}

std::optional<std::int64_t> parseInstant(const std::string& t)
{
    return clinic::parseRfc3339(t);
}

std::optional<PosixRule> PosixRule::parse(const std::string& s)
{
    PosixRule r;
    std::size_t pos = 0;
    std::int32_t posix = 0;
    if (!parseName(s, pos) || !parseHms(s, pos, posix))
        return std::nullopt;
    r.stdOffset = -posix;
    if (pos == s.size())
        return r;
    if (!parseName(s, pos))
        return std::nullopt;
    r.hasDst = true;
    r.dstOffset = r.stdOffset + 3600;
    if (pos < s.size() && s[pos] != ',') {
        if (!parseHms(s, pos, posix))
            return std::nullopt;
        r.dstOffset = -posix;
    }
    if (pos == s.size()) {
        // No rule: the POSIX default (US rules).
        r.start = {'M', 3, 2, 0, 7200};
        r.end = {'M', 11, 1, 0, 7200};
        return r;
    }
    if (s[pos++] != ',' || !parseWhen(s, pos, r.start) || pos >= s.size() || s[pos++] != ','
        || !parseWhen(s, pos, r.end) || pos != s.size())
        return std::nullopt;
    return r;
}

std::int32_t PosixRule::offsetAt(std::int64_t utc) const
{
    if (!hasDst)
        return stdOffset;
    int y = 0, m = 0, d = 0;
    civilFromDays(floorDiv(utc + stdOffset, 86400), y, m, d);
    const std::int64_t startUtc = dayOf(start, y) * 86400 + start.time - stdOffset;
    const std::int64_t endUtc = dayOf(end, y) * 86400 + end.time - dstOffset;
    bool dst = false;
    if (startUtc < endUtc)
        dst = utc >= startUtc && utc < endUtc;
    else
        dst = !(utc >= endUtc && utc < startUtc);
    return dst ? dstOffset : stdOffset;
}

std::optional<PosixRule> tzifFooter(const std::string& d)
{
    if (d.size() < 46 || d.compare(0, 4, "TZif") != 0 || d[4] < '2' || d.back() != '\n')
        return std::nullopt;
    const std::size_t open = d.rfind('\n', d.size() - 2);
    if (open == std::string::npos || open + 2 >= d.size())
        return std::nullopt;
    return PosixRule::parse(d.substr(open + 1, d.size() - open - 2));
}

namespace {

std::optional<PosixRule> footerOf(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in)
        return std::nullopt;
    return tzifFooter(bytes.str());
}

} // namespace

std::shared_ptr<const TimeZone> TimeZone::find(const std::string& name)
{
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const TimeZone>> cache;
    // IANA names start with a capital; the tzdb directory also lists
    // "localtime", the host's own zone, which is no zone a clinic can name.
    if (name.empty() || !std::isupper(static_cast<unsigned char>(name.front())))
        return nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = cache.find(name);
        if (it != cache.end())
            return it->second;
    }
    const date::time_zone* found = nullptr;
    try {
        found = date::locate_zone(name);
    } catch (const std::exception&) {
        return nullptr; // not a zone the tzdb lists
    }
    auto zone = std::make_shared<TimeZone>();
    zone->_name = name;
    zone->_zone = found;
    // The period in force far in the future starts at the last transition
    // the file lists (the earliest instant for a zone without transitions).
    const auto last = found->get_info(date::sys_days {date::year {9999} / 1 / 1});
    zone->_lastListed = last.begin.time_since_epoch().count();
    // The library reads the same directory; it does not honour TZDIR.
    zone->_footer = footerOf("/usr/share/zoneinfo/" + found->name());
    std::lock_guard<std::mutex> lock(mutex);
    return cache.emplace(name, zone).first->second;
}

std::int32_t TimeZone::offsetAt(std::int64_t utc) const
{
    if (_footer && utc >= _lastListed)
        return _footer->offsetAt(utc);
    const auto info = _zone->get_info(date::sys_seconds {std::chrono::seconds {utc}});
    return static_cast<std::int32_t>(info.offset.count());
}

std::vector<std::int64_t> TimeZone::toUtc(std::int64_t local) const
{
    // Well before the last listed transition the library answers in one
    // lookup; near and after it the footer rule decides, so probe offsets.
    if (!_footer || local + 2 * 86400 < _lastListed) {
        const auto info = _zone->get_info(date::local_seconds {std::chrono::seconds {local}});
        if (info.result == date::local_info::nonexistent)
            return {};
        if (info.result == date::local_info::unique)
            return {local - info.first.offset.count()};
        return {local - info.first.offset.count(), local - info.second.offset.count()};
    }
    std::vector<std::int32_t> candidates
        = {offsetAt(local - 86400), offsetAt(local), offsetAt(local + 86400)};
    std::vector<std::int64_t> out;
    for (auto o : candidates) {
        const std::int64_t u = local - o;
        if (offsetAt(u) == o && std::find(out.begin(), out.end(), u) == out.end())
            out.push_back(u);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace scheduling
