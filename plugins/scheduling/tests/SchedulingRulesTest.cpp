// The scheduling plugin's hooks read by its own readers (SchedulingRules)
// over the real rule engine, without a daemon: what each answer shape means,
// and that a wrong one is a rule error handled by the hook's failure mode.

#include <cppunit/extensions/HelperMacros.h>

#include "RuleTestSupport.h"
#include "SchedulingRules.h"

using namespace clinic;
using namespace clinic::test;
using scheduling::Reminder;
using scheduling::SchedulingRules;

namespace {

const char* kCtx = R"({"minutes_until_start": 600, "service": {"price_minor": 12000}})";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// An engine with the scheduling hooks declared, as the plugin declares them.
struct SchedulingFixture : RulesFixture {
    SchedulingFixture()
        : RulesFixture({}, false)
    {
        SchedulingRules::declare(*engine);
    }
    SchedulingRules rules() { return SchedulingRules(*engine); }
};

} // namespace

class SchedulingRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SchedulingRulesTest);
    CPPUNIT_TEST(theHooksAreDeclaredWithTheirFailureModes);
    CPPUNIT_TEST(noScriptsMeansTheCallersDefaults);
    CPPUNIT_TEST(wrongReturnTypesAreRuleErrorsHandledPerFailureMode);
    CPPUNIT_TEST(cancelPolicyFeeAndFailClosed);
    CPPUNIT_TEST(remindersAreValidatedOrFallBack);
    CPPUNIT_TEST(noShowAfterGivesMinutesNeverOrTheDefault);
    CPPUNIT_TEST_SUITE_END();

public:
    void theHooksAreDeclaredWithTheirFailureModes()
    {
        SchedulingFixture f;
        std::map<std::string, RuleFailure> modes;
        for (const auto& h : f.engine->current().declared) {
            CPPUNIT_ASSERT_MESSAGE(h.name, !h.doc.empty());
            modes[h.name] = h.onFailure;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t(5), modes.size());
        CPPUNIT_ASSERT(modes["before_book"] == RuleFailure::FailClosed);
        CPPUNIT_ASSERT(modes["cancel_policy"] == RuleFailure::FailClosed);
        CPPUNIT_ASSERT(modes["slot_length"] == RuleFailure::CallerDefault);
        CPPUNIT_ASSERT(modes["reminders"] == RuleFailure::CallerDefault);
        CPPUNIT_ASSERT(modes["no_show_after"] == RuleFailure::CallerDefault);
    }

    void noScriptsMeansTheCallersDefaults()
    {
        SchedulingFixture f;
        CPPUNIT_ASSERT(f.engine->reload().ok);
        auto d = f.rules().beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(d.allowed && !d.hookExists);
        CPPUNIT_ASSERT_EQUAL(30, f.rules().slotLength(ctxFrom(kCtx), 30).minutes);
        auto c = f.rules().cancelPolicy(ctxFrom(kCtx));
        CPPUNIT_ASSERT(c.allowed && !c.feeMinor && !c.hookExists);
        auto r = f.rules().reminders(ctxFrom(kCtx), {{60, "email"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reminders.size());
        CPPUNIT_ASSERT(!r.hookExists);
    }

    void wrongReturnTypesAreRuleErrorsHandledPerFailureMode()
    {
        SchedulingFixture f;
        CPPUNIT_ASSERT(f.load("bad.lua", R"(
            function before_book(ctx)
              if ctx.case == 1 then return false, {} end
              return {}
            end
            function slot_length(ctx)
              if ctx.case == 1 then return "30" end
              if ctx.case == 2 then return 0 end
              if ctx.case == 3 then return 10000 end
              if ctx.case == 4 then return 12.5 end
              if ctx.case == 5 then return 60.0 end
              return 45
            end
            function cancel_policy(ctx)
              if ctx.case == 1 then return "yes" end
              if ctx.case == 2 then return {allowed = true, fee_minor = -5} end
              return {allowed = "true"}
            end)")
                           .ok);
        auto d = f.rules().beforeBook(ctxFrom("{}"));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_EQUAL(
            std::string("before_book returned a table, expected true or false, \"reason\""), d.error);
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), d.reason);
        d = f.rules().beforeBook(ctxFrom(R"({"case": 1})"));
        CPPUNIT_ASSERT_EQUAL(std::string("before_book returned a table reason, expected a string"), d.error);
        const std::vector<std::string> slotErrors
            = {"slot_length returned a string, expected integer minutes",
                "slot_length returned 0, expected 5..480 minutes",
                "slot_length returned 10000, expected 5..480 minutes",
                "slot_length returned a number, expected integer minutes"};
        for (int c = 1; c <= 4; ++c) {
            auto s = f.rules().slotLength(ctxFrom("{\"case\": " + std::to_string(c) + "}"), 30);
            CPPUNIT_ASSERT_EQUAL(slotErrors[static_cast<std::size_t>(c - 1)], s.error);
            CPPUNIT_ASSERT_EQUAL(30, s.minutes);
        }
        // A float with an integer value is an integer, as in Lua.
        CPPUNIT_ASSERT_EQUAL(60, f.rules().slotLength(ctxFrom(R"({"case": 5})"), 30).minutes);
        auto s = f.rules().slotLength(ctxFrom("{\"case\": 0}"), 30);
        CPPUNIT_ASSERT(!s.failed());
        CPPUNIT_ASSERT_EQUAL(45, s.minutes);
        const std::vector<std::string> cancelErrors
            = {"cancel_policy returned a string, expected {allowed = bool, fee_minor = int?}",
                "cancel_policy: fee_minor must be a non-negative integer",
                "cancel_policy: allowed is a string, expected a boolean"};
        for (int c = 1; c <= 3; ++c) {
            auto k = f.rules().cancelPolicy(ctxFrom("{\"case\": " + std::to_string(c) + "}"));
            CPPUNIT_ASSERT_MESSAGE(std::to_string(c), k.failed() && !k.allowed && !k.feeMinor);
            CPPUNIT_ASSERT_EQUAL(cancelErrors[static_cast<std::size_t>(c - 1)], k.error);
            CPPUNIT_ASSERT_EQUAL(std::string("rule error"), k.reason);
        }
    }

    void cancelPolicyFeeAndFailClosed()
    {
        SchedulingFixture f;
        CPPUNIT_ASSERT(f.load("c.lua", R"(
            function cancel_policy(ctx)
              if ctx.minutes_until_start < 60 then return false, "too late to cancel" end
              if ctx.minutes_until_start < 1440 then return {allowed = true, fee_minor = ctx.service.price_minor // 2} end
              if ctx.minutes_until_start == 5000 then error("boom") end
              if ctx.minutes_until_start == 6000 then return {allowed = false} end
              return true
            end)")
                           .ok);
        auto k = f.rules().cancelPolicy(
            ctxFrom(R"({"minutes_until_start": 30, "service": {"price_minor": 100}})"));
        CPPUNIT_ASSERT(!k.allowed && !k.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("too late to cancel"), k.reason);
        k = f.rules().cancelPolicy(
            ctxFrom(R"({"minutes_until_start": 300, "service": {"price_minor": 12000}})"));
        CPPUNIT_ASSERT(k.allowed && k.feeMinor);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(6000), *k.feeMinor);
        k = f.rules().cancelPolicy(ctxFrom(R"({"minutes_until_start": 3000})"));
        CPPUNIT_ASSERT(k.allowed && !k.feeMinor);
        k = f.rules().cancelPolicy(ctxFrom(R"({"minutes_until_start": 6000})"));
        CPPUNIT_ASSERT(!k.allowed && !k.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("cancellation not allowed by the clinic's rules"), k.reason);
        k = f.rules().cancelPolicy(ctxFrom(R"({"minutes_until_start": 5000})"));
        CPPUNIT_ASSERT(!k.allowed && k.failed());
        CPPUNIT_ASSERT_MESSAGE(k.error, contains(k.error, "c.lua:5: boom"));
    }

    void remindersAreValidatedOrFallBack()
    {
        SchedulingFixture f;
        CPPUNIT_ASSERT(f.load("r.lua", R"(
            function reminders(ctx)
              if ctx.case == 1 then return {{offset_minutes = 1440, channel = "email"}, {120, "sms"}} end
              if ctx.case == 2 then return {} end
              if ctx.case == 3 then return {{offset_minutes = 60, channel = "pigeon"}} end
              if ctx.case == 4 then return {{offset_minutes = "60", channel = "sms"}} end
              if ctx.case == 5 then return "email" end
              if ctx.case == 6 then return {{30, channel = "inapp"}} end
              if ctx.case == 7 then return {"sms"} end
              if ctx.case == 8 then local t = {} for i = 1, 21 do t[i] = {60, "sms"} end return t end
              return nil
            end)")
                           .ok);
        const std::vector<Reminder> defaults = {{1440, "email"}};
        auto r = f.rules().reminders(ctxFrom(R"({"case": 1})"), defaults);
        CPPUNIT_ASSERT(!r.failed());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.reminders.size());
        CPPUNIT_ASSERT_EQUAL(120, r.reminders[1].offsetMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("sms"), r.reminders[1].channel);
        r = f.rules().reminders(ctxFrom(R"({"case": 2})"), defaults);
        CPPUNIT_ASSERT(!r.failed() && r.reminders.empty());
        r = f.rules().reminders(ctxFrom(R"({"case": 6})"), defaults);
        CPPUNIT_ASSERT_MESSAGE(r.error, !r.failed() && r.reminders.size() == 1);
        CPPUNIT_ASSERT_EQUAL(30, r.reminders[0].offsetMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("inapp"), r.reminders[0].channel);
        const std::map<int, std::string> errors
            = {{3, "reminders[1].channel must be email, sms or inapp, not pigeon"},
                {4, "reminders[1].offset_minutes must be an integer 1..86400"},
                {5, "reminders returned a string, expected a list"},
                {7, "reminders[1] is a string, expected a table"},
                {8, "reminders returned 21 entries, at most 20 are allowed"}};
        for (const auto& [c, error] : errors) {
            r = f.rules().reminders(ctxFrom("{\"case\": " + std::to_string(c) + "}"), defaults);
            CPPUNIT_ASSERT_EQUAL(error, r.error);
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reminders.size());
            CPPUNIT_ASSERT_EQUAL(1440, r.reminders[0].offsetMinutes);
        }
        r = f.rules().reminders(ctxFrom(R"({"case": 0})"), defaults);
        CPPUNIT_ASSERT(!r.failed() && r.reminders.size() == 1);
    }

    void noShowAfterGivesMinutesNeverOrTheDefault()
    {
        SchedulingFixture f;
        auto none = f.rules().noShowAfter(ctxFrom(kCtx), 15);
        CPPUNIT_ASSERT(!none.hookExists && none.minutes && *none.minutes == 15);
        const std::pair<const char*, std::optional<int>> cases[] = {
            {"return 30", 30},
            {"return 0", 0},
            {"return false", std::nullopt},
            {"return nil", 15},
            {"return 1441", 15}, // out of range: the default
            {"return -1", 15},
            {"return 2.5", 15},
            {"return true", 15},
            {"return '30'", 15},
            {"error('boom')", 15},
        };
        for (const auto& [body, expected] : cases) {
            CPPUNIT_ASSERT_MESSAGE(
                body, f.load("site.lua", std::string("function no_show_after(ctx) ") + body + " end").ok);
            auto d = f.rules().noShowAfter(ctxFrom(kCtx), 15);
            CPPUNIT_ASSERT_MESSAGE(body, d.minutes == expected);
            CPPUNIT_ASSERT_MESSAGE(body, d.failed() == (expected == 15 && std::string(body) != "return nil"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SchedulingRulesTest);
