// The SDK's instants: RFC 3339 in and out, and the clock in seconds. Strict
// parsing is what keeps a malformed instant a 422 rather than a wrong row.

#include <cppunit/extensions/HelperMacros.h>

#include "clinic/Host.h"
#include "clinic/Time.h"

using clinic::formatRfc3339;
using clinic::parseRfc3339;

namespace {

class FixedClock : public clinic::Clock {
public:
    explicit FixedClock(std::chrono::system_clock::time_point at)
        : _at(at)
    {
    }
    std::chrono::system_clock::time_point now() const override { return _at; }

private:
    std::chrono::system_clock::time_point _at;
};

std::int64_t parsed(const std::string& text)
{
    auto at = parseRfc3339(text);
    CPPUNIT_ASSERT_MESSAGE(text, at.has_value());
    return *at;
}

} // namespace

class TimeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TimeTest);
    CPPUNIT_TEST(formatsUtcWithZ);
    CPPUNIT_TEST(leapDayExistsOnlyInLeapYears);
    CPPUNIT_TEST(offsetsAreSubtracted);
    CPPUNIT_TEST(dstEdgesOfBucharestRoundTrip);
    CPPUNIT_TEST(garbageIsRefused);
    CPPUNIT_TEST(nowIsTruncatedToSeconds);
    CPPUNIT_TEST_SUITE_END();

public:
    void formatsUtcWithZ()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01T00:00:00Z"), formatRfc3339(0));
        CPPUNIT_ASSERT_EQUAL(std::string("1969-12-31T23:59:59Z"), formatRfc3339(-1));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-11T08:00:00Z"), formatRfc3339(1799654400));
        CPPUNIT_ASSERT_EQUAL(std::string("2038-01-19T03:14:08Z"), formatRfc3339(2147483648LL));
        for (std::int64_t at : {0LL, 951782400LL, 1799654400LL, 4102444799LL})
            CPPUNIT_ASSERT_EQUAL(at, parsed(formatRfc3339(at)));
    }

    void leapDayExistsOnlyInLeapYears()
    {
        CPPUNIT_ASSERT_EQUAL(
            std::string("2028-02-29T12:00:00Z"), formatRfc3339(parsed("2028-02-29T12:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(parsed("2028-02-28T12:00:00Z") + 86400, parsed("2028-02-29T12:00:00Z"));
        CPPUNIT_ASSERT_EQUAL(parsed("2028-02-29T12:00:00Z") + 86400, parsed("2028-03-01T12:00:00Z"));
        CPPUNIT_ASSERT(parseRfc3339("2000-02-29T00:00:00Z")); // divisible by 400
        CPPUNIT_ASSERT(!parseRfc3339("2027-02-29T12:00:00Z"));
        CPPUNIT_ASSERT(!parseRfc3339("2100-02-29T12:00:00Z")); // divisible by 100
        CPPUNIT_ASSERT(!parseRfc3339("2027-04-31T12:00:00Z"));
        CPPUNIT_ASSERT(!parseRfc3339("2027-02-30T10:00:00Z"));
    }

    void offsetsAreSubtracted()
    {
        const std::int64_t utc = parsed("2027-01-11T08:00:00Z");
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T10:00:00+02:00"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T13:30:00+05:30"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T04:00:00-04:00"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-10T08:01:00-23:59"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11t08:00:00z"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T10:00:00.250+02:00"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T08:00:00.999999999Z"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T08:00:00+00:00"));
        CPPUNIT_ASSERT_EQUAL(utc, parsed("2027-01-11T08:00:00-00:00"));
        // An offset that crosses midnight and the year.
        CPPUNIT_ASSERT_EQUAL(parsed("2027-12-31T22:30:00Z"), parsed("2028-01-01T01:30:00+03:00"));
    }

    void dstEdgesOfBucharestRoundTrip()
    {
        // 2027-03-28: 03:00 EET becomes 04:00 EEST at 01:00Z; 2027-10-31:
        // 04:00 EEST becomes 03:00 EET at 01:00Z. The offset in the text
        // picks the instant, so the repeated 03:30 reads as two.
        CPPUNIT_ASSERT_EQUAL(parsed("2027-03-28T00:59:59Z"), parsed("2027-03-28T02:59:59+02:00"));
        CPPUNIT_ASSERT_EQUAL(parsed("2027-03-28T01:00:00Z"), parsed("2027-03-28T04:00:00+03:00"));
        CPPUNIT_ASSERT_EQUAL(
            std::int64_t(1), parsed("2027-03-28T04:00:00+03:00") - parsed("2027-03-28T02:59:59+02:00"));
        const std::int64_t first = parsed("2027-10-31T03:30:00+03:00");
        const std::int64_t second = parsed("2027-10-31T03:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(std::int64_t(3600), second - first);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T00:30:00Z"), formatRfc3339(first));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-10-31T01:30:00Z"), formatRfc3339(second));
    }

    void garbageIsRefused()
    {
        for (const std::string text : {"", "yesterday", "2027-01-11", "2027-01-11T10:00:00",
                 "2027-01-11 10:00:00Z", "2027-01-11T10:00Z", "2027-1-11T10:00:00Z",
                 "2027-01-11T10:00:00+0200", "2027-01-11T10:00:00+02", "2027-01-11T10:00:00+24:00",
                 "2027-01-11T10:00:00+02:60", "2027-01-11T24:00:00Z", "2027-01-11T23:60:00Z",
                 "2027-01-11T23:59:60Z", "2027-13-01T10:00:00Z", "2027-00-01T10:00:00Z",
                 "2027-01-00T10:00:00Z", "1969-12-31T23:59:59Z", "2027-01-11T10:00:00.Z",
                 "2027-01-11T10:00:00.1234567890Z", "2027-01-11T10:00:00ZZ", "2027-01-11T10:00:00Z ",
                 " 2027-01-11T10:00:00Z", "+2027-01-11T10:00:00Z", "2027-01-11T10:00:00+02:00x"})
            CPPUNIT_ASSERT_MESSAGE("accepted: " + text, !parseRfc3339(text));
        CPPUNIT_ASSERT(!parseRfc3339(std::string("2027-01-11T10:00:00\0Z", 21)));
    }

    void nowIsTruncatedToSeconds()
    {
        using namespace std::chrono;
        const system_clock::time_point at {seconds {1799654400} + milliseconds {999}};
        CPPUNIT_ASSERT_EQUAL(std::int64_t(1799654400), clinic::nowSeconds(FixedClock(at)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeTest);
