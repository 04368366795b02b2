#pragma once

// What both time-zone suites build their cases from: a local wall-clock
// time as seconds, and an RFC 3339 instant that must parse.

#include <cstdint>
#include <string>

#include <cppunit/TestAssert.h>

#include "TimeZone.h"

namespace scheduling::test {

inline std::int64_t local(int y, int m, int d, int hh, int mm)
{
    return daysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60;
}

inline std::int64_t utc(const std::string& text)
{
    auto at = parseInstant(text);
    CPPUNIT_ASSERT_MESSAGE(text, at.has_value());
    return *at;
}

} // namespace scheduling::test
