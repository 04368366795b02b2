// TZif reading and wall-clock conversion against the system's tzdb: the
// Bucharest DST days of 2027 (after the last listed transition, so from the
// POSIX footer rule), half-hour zones, dates that do not exist.

#include <cppunit/extensions/HelperMacros.h>

#include "TimeZone.h"
#include "TimeZoneTestSupport.h"

using namespace scheduling;

using scheduling::test::local;
using scheduling::test::utc;

class TimeZoneTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TimeZoneTest);
    CPPUNIT_TEST(bucharestSpringGapHasNoInstant);
    CPPUNIT_TEST(bucharestAutumnOverlapHasTwo);
    CPPUNIT_TEST(halfHourZones);
    CPPUNIT_TEST(unknownNamesAreRefused);
    CPPUNIT_TEST(datesAndInstants);
    CPPUNIT_TEST(posixRules);
    CPPUNIT_TEST_SUITE_END();

public:
    void bucharestSpringGapHasNoInstant()
    {
        auto z = TimeZone::find("Europe/Bucharest");
        CPPUNIT_ASSERT(z);
        CPPUNIT_ASSERT_EQUAL(7200, z->offsetAt(utc("2027-03-28T00:59:59Z")));
        CPPUNIT_ASSERT_EQUAL(10800, z->offsetAt(utc("2027-03-28T01:00:00Z")));
        CPPUNIT_ASSERT(z->toUtc(local(2027, 3, 28, 3, 0)).empty());
        CPPUNIT_ASSERT(z->toUtc(local(2027, 3, 28, 3, 30)).empty());
        auto before = z->toUtc(local(2027, 3, 28, 2, 30));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), before.size());
        CPPUNIT_ASSERT_EQUAL(utc("2027-03-28T00:30:00Z"), before.front());
        auto after = z->toUtc(local(2027, 3, 28, 4, 0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), after.size());
        CPPUNIT_ASSERT_EQUAL(utc("2027-03-28T01:00:00Z"), after.front());
        // A date inside the listed transitions too.
        CPPUNIT_ASSERT_EQUAL(10800, z->offsetAt(utc("2020-07-01T12:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(7200, z->offsetAt(utc("2020-01-01T12:00:00Z")));
    }

    void bucharestAutumnOverlapHasTwo()
    {
        auto z = TimeZone::find("Europe/Bucharest");
        CPPUNIT_ASSERT_EQUAL(10800, z->offsetAt(utc("2027-10-31T00:59:59Z")));
        CPPUNIT_ASSERT_EQUAL(7200, z->offsetAt(utc("2027-10-31T01:00:00Z")));
        auto twice = z->toUtc(local(2027, 10, 31, 3, 30));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), twice.size());
        CPPUNIT_ASSERT_EQUAL(utc("2027-10-31T00:30:00Z"), twice[0]);
        CPPUNIT_ASSERT_EQUAL(utc("2027-10-31T01:30:00Z"), twice[1]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), z->toUtc(local(2027, 10, 31, 4, 0)).size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-10-31T03:30:00+03:00"), formatWithOffset(twice[0], z->offsetAt(twice[0])));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-10-31T03:30:00+02:00"), formatWithOffset(twice[1], z->offsetAt(twice[1])));
    }

    void halfHourZones()
    {
        auto kolkata = TimeZone::find("Asia/Kolkata");
        CPPUNIT_ASSERT(kolkata);
        CPPUNIT_ASSERT_EQUAL(19800, kolkata->offsetAt(utc("2027-06-01T00:00:00Z")));
        auto adelaide = TimeZone::find("Australia/Adelaide");
        CPPUNIT_ASSERT(adelaide);
        CPPUNIT_ASSERT_EQUAL(37800, adelaide->offsetAt(utc("2027-01-11T00:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(34200, adelaide->offsetAt(utc("2027-06-01T00:00:00Z")));
        // First Sunday of April 2027: 03:00 ACDT -> 02:00 ACST.
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), adelaide->toUtc(local(2027, 4, 4, 2, 30)).size());
        // First Sunday of October 2027: 02:00 ACST -> 03:00 ACDT.
        CPPUNIT_ASSERT(adelaide->toUtc(local(2027, 10, 3, 2, 30)).empty());
    }

    void unknownNamesAreRefused()
    {
        for (const std::string name : {"Europe/Atlantis", "", "../etc/passwd", "/etc/localtime",
                 "Europe/../../etc/passwd", "zone.tab", "right/Europe/Bucharest"})
            CPPUNIT_ASSERT_MESSAGE(name, !TimeZone::find(name));
        CPPUNIT_ASSERT(TimeZone::find("UTC"));
        CPPUNIT_ASSERT_EQUAL(0, TimeZone::find("UTC")->offsetAt(utc("2027-06-01T00:00:00Z")));
    }

    void datesAndInstants()
    {
        CPPUNIT_ASSERT(!parseDate("2027-02-30"));
        CPPUNIT_ASSERT(!parseDate("2027-02-29"));
        CPPUNIT_ASSERT(parseDate("2028-02-29"));
        CPPUNIT_ASSERT(!parseDate("2027-13-01"));
        CPPUNIT_ASSERT(!parseDate("27-01-01"));
        CPPUNIT_ASSERT_EQUAL(7, isoWeekday(*parseDate("2027-03-28")));
        CPPUNIT_ASSERT_EQUAL(1, isoWeekday(*parseDate("2027-01-11")));
        CPPUNIT_ASSERT(!parseInstant("2027-02-30T10:00:00Z"));
        CPPUNIT_ASSERT(!parseInstant("2027-01-11T10:00:00"));
        CPPUNIT_ASSERT(!parseInstant("2027-01-11T24:00:00Z"));
        CPPUNIT_ASSERT_EQUAL(utc("2027-01-11T08:00:00Z"), utc("2027-01-11T10:00:00.250+02:00"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("2027-01-11T13:30:00+05:30"), formatWithOffset(utc("2027-01-11T08:00:00Z"), 19800));
        CPPUNIT_ASSERT_EQUAL(std::string("1969-12-31T21:00:00-03:00"), formatWithOffset(0, -10800));
    }

    void posixRules()
    {
        auto r = PosixRule::parse("EET-2EEST,M3.5.0/3,M10.5.0/4");
        CPPUNIT_ASSERT(r && r->hasDst);
        CPPUNIT_ASSERT_EQUAL(7200, r->stdOffset);
        CPPUNIT_ASSERT_EQUAL(10800, r->dstOffset);
        CPPUNIT_ASSERT_EQUAL(10800, r->offsetAt(utc("2040-03-25T01:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(7200, r->offsetAt(utc("2040-03-25T00:59:59Z")));
        auto south = PosixRule::parse("ACST-9:30ACDT,M10.1.0,M4.1.0/3");
        CPPUNIT_ASSERT(south);
        CPPUNIT_ASSERT_EQUAL(37800, south->offsetAt(utc("2040-01-01T00:00:00Z")));
        CPPUNIT_ASSERT_EQUAL(34200, south->offsetAt(utc("2040-06-01T00:00:00Z")));
        auto fixed = PosixRule::parse("<+0530>-5:30");
        CPPUNIT_ASSERT(fixed && !fixed->hasDst);
        CPPUNIT_ASSERT_EQUAL(19800, fixed->stdOffset);
        CPPUNIT_ASSERT(!PosixRule::parse("EET-2EEST,M13.5.0,M10.5.0"));
        CPPUNIT_ASSERT(!PosixRule::parse("garbage"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeZoneTest);
