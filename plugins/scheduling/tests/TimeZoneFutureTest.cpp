// Zones past the last transition the TZif files list (2037 in Debian's
// tzdata): the library reading the OS tzdb keeps one offset from there on,
// so these pin that the files' POSIX rule still gives DST; and names the
// tzdb lists that are no IANA zone a clinic can set.

#include <cppunit/extensions/HelperMacros.h>

#include "TimeZone.h"
#include "TimeZoneTestSupport.h"

using namespace scheduling;

using scheduling::test::local;
using scheduling::test::utc;

class TimeZoneFutureTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TimeZoneFutureTest);
    CPPUNIT_TEST(bucharestKeepsDstAfter2037);
    CPPUNIT_TEST(southernZoneKeepsDstAfter2037);
    CPPUNIT_TEST(linksResolveAndHostNamesDoNot);
    CPPUNIT_TEST_SUITE_END();

public:
    void bucharestKeepsDstAfter2037()
    {
        auto z = TimeZone::find("Europe/Bucharest");
        CPPUNIT_ASSERT(z);
        CPPUNIT_ASSERT_EQUAL(10800, z->offsetAt(utc("2038-07-01T12:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(7200, z->offsetAt(utc("2038-01-15T12:00:00Z")));
        // 2040-03-25 and 2040-10-28 are the last Sundays.
        CPPUNIT_ASSERT_EQUAL(7200, z->offsetAt(utc("2040-03-25T00:59:59Z")));
        CPPUNIT_ASSERT_EQUAL(10800, z->offsetAt(utc("2040-03-25T01:00:00Z")));
        CPPUNIT_ASSERT(z->toUtc(local(2040, 3, 25, 3, 30)).empty());
        auto twice = z->toUtc(local(2040, 10, 28, 3, 30));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), twice.size());
        CPPUNIT_ASSERT_EQUAL(utc("2040-10-28T00:30:00Z"), twice[0]);
        CPPUNIT_ASSERT_EQUAL(utc("2040-10-28T01:30:00Z"), twice[1]);
        // Across the last listed transition (2037-10-25 01:00Z).
        auto last = z->toUtc(local(2037, 10, 25, 3, 30));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), last.size());
        CPPUNIT_ASSERT_EQUAL(utc("2037-10-25T00:30:00Z"), last[0]);
    }

    void southernZoneKeepsDstAfter2037()
    {
        auto adelaide = TimeZone::find("Australia/Adelaide");
        CPPUNIT_ASSERT(adelaide);
        CPPUNIT_ASSERT_EQUAL(37800, adelaide->offsetAt(utc("2045-01-11T00:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(34200, adelaide->offsetAt(utc("2045-06-01T00:00:00Z")));
    }

    void linksResolveAndHostNamesDoNot()
    {
        auto kyiv = TimeZone::find("Europe/Kiev"); // a link to Europe/Kyiv
        CPPUNIT_ASSERT(kyiv);
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Kiev"), kyiv->name());
        CPPUNIT_ASSERT_EQUAL(10800, kyiv->offsetAt(utc("2027-07-01T00:00:00Z")));
        for (const std::string name : {"localtime", "posixrules", "Factory", "europe/bucharest"})
            CPPUNIT_ASSERT_MESSAGE(name, !TimeZone::find(name));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeZoneFutureTest);
