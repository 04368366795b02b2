#include "clinic/Time.h"

#include <chrono>
#include <cstdio>

#include <date/date.h>

#include "clinic/Host.h"

namespace clinic {

namespace {

bool digitsAt(const std::string& text, std::size_t at, std::size_t count, int& value)
{
    if (at + count > text.size())
        return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

} // namespace

std::int64_t nowSeconds(const Clock& clock)
{
    return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

std::string formatRfc3339(std::int64_t seconds)
{
    const date::sys_seconds at {std::chrono::seconds {seconds}};
    const auto day = date::floor<date::days>(at);
    const date::year_month_day ymd {day};
    const date::hh_mm_ss<std::chrono::seconds> time {at - day};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count()));
    return buf;
}

std::optional<std::int64_t> parseRfc3339(const std::string& text)
{
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!digitsAt(text, 0, 4, y) || text[4] != '-' || !digitsAt(text, 5, 2, mo) || text[7] != '-'
        || !digitsAt(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') || !digitsAt(text, 11, 2, h)
        || text[13] != ':' || !digitsAt(text, 14, 2, mi) || text[16] != ':' || !digitsAt(text, 17, 2, s))
        return std::nullopt;
    const date::year_month_day ymd {
        date::year {y}, date::month {static_cast<unsigned>(mo)}, date::day {static_cast<unsigned>(d)}};
    if (y < 1970 || !ymd.ok() || h > 23 || mi > 59 || s > 59)
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
        if (pos == start || pos - start > 9)
            return std::nullopt;
    }
    int offset = 0;
    if (pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        offset = 0;
    } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh = 0, om = 0;
        if (!digitsAt(text, pos + 1, 2, oh) || text[pos + 3] != ':' || !digitsAt(text, pos + 4, 2, om)
            || oh > 23 || om > 59)
            return std::nullopt;
        offset = (text[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
        return std::nullopt;
    }
    const date::sys_seconds local = date::sys_days {ymd} + std::chrono::hours {h} + std::chrono::minutes {mi}
        + std::chrono::seconds {s};
    return local.time_since_epoch().count() - offset;
}

} // namespace clinic
