// The Lua scripts clinicd ships (lua/rules/default.lua and lua/examples/),
// each installed as a clinic would install it and asked realistic
// questions: their rules are a contract with the clinics that copy them.

#include <cppunit/extensions/HelperMacros.h>

#include "RuleTestSupport.h"
#include "SchedulingRules.h"

using namespace clinic;
using namespace clinic::test;
using scheduling::SchedulingRules;

namespace {

/// A rules.dir holding the default script and, optionally, one example
/// installed as lua/README.md says: named to load after default.lua.
struct Installed : RulesFixture {
    explicit Installed(const std::string& example = "")
        : RulesFixture({}, false)
    {
        SchedulingRules::declare(*engine);
        write("default.lua", readFile(sourceDir() + "/lua/rules/default.lua"));
        if (!example.empty())
            write("site-" + example, readFile(sourceDir() + "/lua/examples/" + example));
        auto built = engine->reload();
        CPPUNIT_ASSERT_MESSAGE(built.error.text(), built.ok);
    }
};

/// A booking ctx as the scheduling plugin builds it: now is Monday
/// 2026-11-23 08:00 in Bucharest.
Poco::JSON::Object::Ptr booking(const std::string& startLocal, int minutesUntilStart, bool isNew = false,
    int age = 34, const std::string& specialty = "general", const std::string& role = "patient")
{
    return ctxFrom(R"({"start_local": ")" + startLocal + R"(", "start_utc": ")" + startLocal + R"(Z",
        "now_local": "2026-11-23T08:00:00", "now_utc": "2026-11-23T06:00:00Z",
        "weekday": 1, "minutes_until_start": )"
        + std::to_string(minutesUntilStart) + R"(,
        "patient": {"id": 11, "age": )"
        + std::to_string(age) + R"(, "sex": "F", "is_new": )" + (isNew ? "true" : "false")
        + R"(, "allergies": []},
        "doctor": {"id": 4, "name": "Dr Ionescu", "specialty": ")"
        + specialty + R"("},
        "service": {"id": 2, "name": "Consultation", "duration_min": 30, "price_minor": 20000},
        "location": {"id": 1, "name": "Central", "timezone": "Europe/Bucharest"},
        "actor": {"role": ")"
        + role + R"("}})");
}

} // namespace

class RuleScriptsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RuleScriptsTest);
    CPPUNIT_TEST(defaultRejectsABookingInThePastOrWithoutNotice);
    CPPUNIT_TEST(defaultLetsPatientsCancelUpTo24HoursBeforeAndStaffAlways);
    CPPUNIT_TEST(dentalGivesNewPatients45MinutesAndNoSameDayBooking);
    CPPUNIT_TEST(pediatricKeepsChildrenAndPediatriciansTogether);
    CPPUNIT_TEST(cancellationFeeIsHalfThePriceWithin24Hours);
    CPPUNIT_TEST(cancellationFeeClinicSendsEmailThenSmsReminders);
    CPPUNIT_TEST_SUITE_END();

public:
    void defaultRejectsABookingInThePastOrWithoutNotice()
    {
        Installed rules;
        auto past = SchedulingRules(*rules.engine).beforeBook(booking("2026-11-22T10:00:00", -1320));
        CPPUNIT_ASSERT(!past.allowed && !past.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("the start is in the past"), past.reason);
        auto soon = SchedulingRules(*rules.engine).beforeBook(booking("2026-11-23T08:30:00", 30));
        CPPUNIT_ASSERT(!soon.allowed);
        CPPUNIT_ASSERT_EQUAL(std::string("bookings need at least 60 minutes' notice"), soon.reason);
        CPPUNIT_ASSERT(
            SchedulingRules(*rules.engine).beforeBook(booking("2026-11-23T10:00:00", 120)).allowed);
        // The default leaves slot length and reminders to the caller.
        CPPUNIT_ASSERT(
            !SchedulingRules(*rules.engine).slotLength(booking("2026-11-24T10:00:00", 1560), 30).hookExists);
    }

    void defaultLetsPatientsCancelUpTo24HoursBeforeAndStaffAlways()
    {
        Installed rules;
        auto late = SchedulingRules(*rules.engine).cancelPolicy(booking("2026-11-23T20:00:00", 720));
        CPPUNIT_ASSERT(!late.allowed && !late.failed());
        CPPUNIT_ASSERT_EQUAL(
            std::string("appointments can be cancelled up to 24 hours before the start"), late.reason);
        auto early = SchedulingRules(*rules.engine).cancelPolicy(booking("2026-11-25T10:00:00", 3000));
        CPPUNIT_ASSERT(early.allowed && !early.feeMinor);
        auto desk
            = SchedulingRules(*rules.engine)
                  .cancelPolicy(booking("2026-11-23T20:00:00", 720, false, 34, "general", "receptionist"));
        CPPUNIT_ASSERT(desk.allowed);
        CPPUNIT_ASSERT(!SchedulingRules(*rules.engine)
                            .cancelPolicy(booking("2026-11-23T07:00:00", -60, false, 34, "general", "admin"))
                            .allowed);
    }

    void dentalGivesNewPatients45MinutesAndNoSameDayBooking()
    {
        Installed rules("dental.lua");
        auto first
            = SchedulingRules(*rules.engine).slotLength(booking("2026-11-25T10:00:00", 3000, true), 30);
        CPPUNIT_ASSERT(first.hookExists && !first.failed());
        CPPUNIT_ASSERT_EQUAL(45, first.minutes);
        CPPUNIT_ASSERT_EQUAL(30,
            SchedulingRules(*rules.engine)
                .slotLength(booking("2026-11-25T10:00:00", 3000, false), 30)
                .minutes);
        auto sameDay = SchedulingRules(*rules.engine).beforeBook(booking("2026-11-23T15:00:00", 420, true));
        CPPUNIT_ASSERT(!sameDay.allowed && !sameDay.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("new patients cannot be booked for the same day"), sameDay.reason);
        CPPUNIT_ASSERT(
            SchedulingRules(*rules.engine).beforeBook(booking("2026-11-23T15:00:00", 420, false)).allowed);
        CPPUNIT_ASSERT(
            SchedulingRules(*rules.engine).beforeBook(booking("2026-11-24T09:00:00", 1500, true)).allowed);
        // The default's rules still hold underneath.
        CPPUNIT_ASSERT_EQUAL(std::string("the start is in the past"),
            SchedulingRules(*rules.engine).beforeBook(booking("2026-11-20T09:00:00", -4260, false)).reason);
    }

    void pediatricKeepsChildrenAndPediatriciansTogether()
    {
        Installed rules("pediatric.lua");
        auto adult = SchedulingRules(*rules.engine)
                         .beforeBook(booking("2026-11-25T10:00:00", 3000, false, 30, "pediatrics"));
        CPPUNIT_ASSERT(!adult.allowed && !adult.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("pediatricians see patients under 18 only"), adult.reason);
        CPPUNIT_ASSERT(SchedulingRules(*rules.engine)
                           .beforeBook(booking("2026-11-25T10:00:00", 3000, false, 7, "pediatrics"))
                           .allowed);
        auto child = SchedulingRules(*rules.engine)
                         .beforeBook(booking("2026-11-25T10:00:00", 3000, false, 17, "cardiology"));
        CPPUNIT_ASSERT(!child.allowed);
        CPPUNIT_ASSERT_EQUAL(std::string("patients under 18 are seen by a pediatrician"), child.reason);
        CPPUNIT_ASSERT(SchedulingRules(*rules.engine)
                           .beforeBook(booking("2026-11-25T10:00:00", 3000, false, 18, "cardiology"))
                           .allowed);
    }

    void cancellationFeeIsHalfThePriceWithin24Hours()
    {
        Installed rules("cancellation_fee.lua");
        auto late = SchedulingRules(*rules.engine).cancelPolicy(booking("2026-11-23T20:00:00", 720));
        CPPUNIT_ASSERT_MESSAGE(late.error + late.reason, late.allowed && !late.failed());
        CPPUNIT_ASSERT(late.feeMinor);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(10000), *late.feeMinor);
        auto early = SchedulingRules(*rules.engine).cancelPolicy(booking("2026-11-25T10:00:00", 3000));
        CPPUNIT_ASSERT(early.allowed && !early.feeMinor);
        auto byDoctor
            = SchedulingRules(*rules.engine)
                  .cancelPolicy(booking("2026-11-23T20:00:00", 720, false, 34, "general", "doctor"));
        CPPUNIT_ASSERT(byDoctor.allowed && !byDoctor.feeMinor);
        CPPUNIT_ASSERT(
            !SchedulingRules(*rules.engine).cancelPolicy(booking("2026-11-23T07:00:00", -60)).allowed);
    }

    void cancellationFeeClinicSendsEmailThenSmsReminders()
    {
        Installed rules("cancellation_fee.lua");
        auto plan = SchedulingRules(*rules.engine).reminders(booking("2026-11-25T10:00:00", 3000), {});
        CPPUNIT_ASSERT(plan.hookExists && !plan.failed());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), plan.reminders.size());
        CPPUNIT_ASSERT_EQUAL(1440, plan.reminders[0].offsetMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("email"), plan.reminders[0].channel);
        CPPUNIT_ASSERT_EQUAL(120, plan.reminders[1].offsetMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("sms"), plan.reminders[1].channel);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RuleScriptsTest);
