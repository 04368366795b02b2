// Wall-clock arithmetic for scripts on the ctx's "YYYY-MM-DDTHH:MM:SS"
// strings. The times are compared as written (start_local with a local
// "now", or start_utc with a UTC one); no zone database is involved, so
// the answers are the same on every appliance.

#include <cstdio>
#include <cstring>

#include <lua.hpp>

#include "rules/Bindings.h"

namespace clinic::rules {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
long long daysFromCivil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

/// Seconds since the epoch of the wall-clock time in the string, or raises
/// a Lua error naming the argument.
long long parseArg(lua_State* L, int arg)
{
    const char* s = luaL_checkstring(L, arg);
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    const int n = std::sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
    if (n != 3 && n < 5)
        luaL_argerror(L, arg, "expected \"YYYY-MM-DDTHH:MM:SS\"");
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
        luaL_argerror(L, arg, "date or time out of range");
    return daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400LL + h * 3600LL
        + mi * 60LL + sec;
}

long long floorDiv(long long a, long long b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int minutesBetween(lua_State* L)
{
    const long long a = parseArg(L, 1);
    const long long b = parseArg(L, 2);
    lua_pushinteger(L, floorDiv(b - a, 60));
    return 1;
}

int parseTime(lua_State* L)
{
    lua_pushinteger(L, parseArg(L, 1));
    return 1;
}

int dateOf(lua_State* L)
{
    parseArg(L, 1);
    lua_pushlstring(L, lua_tostring(L, 1), 10);
    return 1;
}

int weekdayOf(lua_State* L)
{
    const long long days = floorDiv(parseArg(L, 1), 86400);
    // 1970-01-01 was a Thursday (ISO 4).
    long long wd = (days + 3) % 7;
    if (wd < 0)
        wd += 7;
    lua_pushinteger(L, wd + 1);
    return 1;
}

int minutesOfDay(lua_State* L)
{
    const long long t = parseArg(L, 1);
    long long s = t % 86400;
    if (s < 0)
        s += 86400;
    lua_pushinteger(L, s / 60);
    return 1;
}

} // namespace

void setupTimeBindings(lua_State* L)
{
    pushClinicTable(L);
    const luaL_Reg functions[]
        = {{"minutes_between", &minutesBetween}, {"parse_time", &parseTime}, {"date_of", &dateOf},
            {"weekday_of", &weekdayOf}, {"minutes_of_day", &minutesOfDay}, {nullptr, nullptr}};
    luaL_setfuncs(L, functions, 0);
    lua_pop(L, 1);
}

} // namespace clinic::rules
