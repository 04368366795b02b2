// The rule engine without a daemon: hooks and their typed outcomes, the
// sandbox and its limits, reload, and one state per thread.

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "RuleTestSupport.h"

using namespace clinic;
using namespace clinic::test;

namespace {

const char* kCtx = R"({"minutes_until_start": 600, "start_local": "2026-11-23T10:00:00",
    "patient": {"id": 7, "age": 34, "is_new": true, "allergies": ["penicillin", "latex"]},
    "doctor": {"id": 3, "name": "Dr Pop", "specialty": "dentistry"},
    "service": {"id": 2, "name": "Check-up", "duration_min": 30, "price_minor": 12000},
    "actor": {"role": "patient"}})";

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace

class RuleEngineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RuleEngineTest);
    CPPUNIT_TEST(noScriptsMeansBuiltInDefaultsWithoutLua);
    CPPUNIT_TEST(beforeBookAllowsOrRejectsWithTheScriptsReason);
    CPPUNIT_TEST(ctxCarriesNestedObjectsAndArrays);
    CPPUNIT_TEST(ctxHelperAnswersAndAThrowingHelperIsARuleError);
    CPPUNIT_TEST(helperKeptPastItsCallRefusesToRun);
    CPPUNIT_TEST(endlessLoopFailsClosedWithinTheBudget);
    CPPUNIT_TEST(hugeStringsHitTheMemoryCap);
    CPPUNIT_TEST(escapesFromTheSandboxAreNotThere);
    CPPUNIT_TEST(wrongReturnTypesAreRuleErrorsHandledPerFailureMode);
    CPPUNIT_TEST(cancelPolicyFeeAndFailClosed);
    CPPUNIT_TEST(remindersAreValidatedOrFallBack);
    CPPUNIT_TEST(filesLoadInNameOrderIntoOneEnvironment);
    CPPUNIT_TEST(reloadSwapsOnlyAGoodGeneration);
    CPPUNIT_TEST(aHookThatIsNotAFunctionIsRejected);
    CPPUNIT_TEST(aStateSurvivesItsErrors);
    CPPUNIT_TEST(eachThreadHasItsOwnStateAndSeesReloads);
    CPPUNIT_TEST(timeHelpersDoWallClockArithmetic);
    CPPUNIT_TEST(reloadsUnderLoadNeverFailACall);
    CPPUNIT_TEST_SUITE_END();

public:
    void noScriptsMeansBuiltInDefaultsWithoutLua()
    {
        RulesFixture f;
        auto built = f.engine->reload();
        CPPUNIT_ASSERT(built.ok);
        CPPUNIT_ASSERT(built.info.files.empty());
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(d.allowed);
        CPPUNIT_ASSERT(!d.hookExists);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), d.generation);
        CPPUNIT_ASSERT_EQUAL(30, f.engine->slotLength(ctxFrom(kCtx), 30).minutes);
        auto c = f.engine->cancelPolicy(ctxFrom(kCtx));
        CPPUNIT_ASSERT(c.allowed && !c.feeMinor && !c.hookExists);
        auto r = f.engine->reminders(ctxFrom(kCtx), {{60, "email"}});
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reminders.size());

        // A rules.dir that does not exist is no rules at all, not an error.
        rules::RuleEngineImpl missing("/nonexistent/clinicd/rules", {}, nullptr);
        CPPUNIT_ASSERT(missing.reload().ok);
        CPPUNIT_ASSERT(missing.beforeBook(ctxFrom(kCtx)).allowed);
    }

    void beforeBookAllowsOrRejectsWithTheScriptsReason()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function before_book(ctx)
              if ctx.minutes_until_start < 60 then return false, "too late" end
              if ctx.minutes_until_start > 10000 then return false end
              if ctx.minutes_until_start == 999 then return nil end
              return true
            end)")
                           .ok);
        auto yes = f.engine->beforeBook(ctxFrom(R"({"minutes_until_start": 600})"));
        CPPUNIT_ASSERT(yes.allowed && yes.hookExists && !yes.failed());
        auto no = f.engine->beforeBook(ctxFrom(R"({"minutes_until_start": 5})"));
        CPPUNIT_ASSERT(!no.allowed && !no.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("too late"), no.reason);
        auto bare = f.engine->beforeBook(ctxFrom(R"({"minutes_until_start": 20000})"));
        CPPUNIT_ASSERT(!bare.allowed && !bare.reason.empty());
        CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(R"({"minutes_until_start": 999})")).allowed);
        // A hook the scripts do not define is the default.
        CPPUNIT_ASSERT(!f.engine->beforePrescribe(ctxFrom(kCtx)).hookExists);
    }

    void ctxCarriesNestedObjectsAndArrays()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function before_book(ctx)
              local p = ctx.patient
              if p.id ~= 7 or math.type(p.id) ~= "integer" then return false, "id" end
              if p.is_new ~= true then return false, "is_new" end
              if #p.allergies ~= 2 or p.allergies[2] ~= "latex" then return false, "allergies" end
              if ctx.doctor.specialty ~= "dentistry" or ctx.service.price_minor ~= 12000 then return false, "nested" end
              ctx.patient.age = 1 -- a script's own copy
              return true
            end)")
                           .ok);
        auto ctx = ctxFrom(kCtx);
        auto d = f.engine->beforeBook(ctx);
        CPPUNIT_ASSERT_MESSAGE(d.reason + d.error, d.allowed);
        CPPUNIT_ASSERT_EQUAL(34, ctx->getObject("patient")->getValue<int>("age"));
    }

    void ctxHelperAnswersAndAThrowingHelperIsARuleError()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function before_book(ctx)
              local n = ctx.count_bookings{patient = ctx.patient.id, days = 30}
              if n >= 3 then return false, "at most 3 bookings in 30 days, has " .. n end
              return true
            end)")
                           .ok);
        Poco::Int64 seenPatient = 0, seenDays = 0;
        int count = 3;
        RuleHelpers helpers {{"count_bookings", [&](const Poco::Dynamic::Var& args) -> Poco::Dynamic::Var {
                                  auto o = args.extract<Poco::JSON::Object::Ptr>();
                                  seenPatient = o->getValue<Poco::Int64>("patient");
                                  seenDays = o->getValue<Poco::Int64>("days");
                                  if (count < 0)
                                      throw std::runtime_error("database away");
                                  return count;
                              }}};
        auto d = f.engine->beforeBook(ctxFrom(kCtx), helpers);
        CPPUNIT_ASSERT(!d.allowed && !d.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("at most 3 bookings in 30 days, has 3"), d.reason);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), seenPatient);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), seenDays);
        count = 1;
        CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(kCtx), helpers).allowed);
        count = -1;
        d = f.engine->beforeBook(ctxFrom(kCtx), helpers);
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), d.reason);
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "database away"));
        // Without the helper the script fails: fail closed, not a crash.
        d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
    }

    void helperKeptPastItsCallRefusesToRun()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            local kept
            function before_book(ctx)
              if kept then return kept{} end
              kept = ctx.lookup
              return true
            end)")
                           .ok);
        RuleHelpers helpers {
            {"lookup", [](const Poco::Dynamic::Var&) -> Poco::Dynamic::Var { return true; }}};
        CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(kCtx), helpers).allowed);
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "only during the hook call"));
    }

    void endlessLoopFailsClosedWithinTheBudget()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("loop.lua", "function before_book(ctx)\n  while true do end\nend\n").ok);
        const auto start = std::chrono::steady_clock::now();
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        const auto took = std::chrono::steady_clock::now() - start;
        CPPUNIT_ASSERT(!d.allowed && d.failed() && d.hookExists);
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), d.reason);
        CPPUNIT_ASSERT_MESSAGE(
            d.error, contains(d.error, "loop.lua:2: instruction budget of 1000000 exceeded"));
        CPPUNIT_ASSERT(took < std::chrono::seconds(2));
        // A loop at load time is a load error, not a hang.
        RulesFixture g;
        auto built = g.load("top.lua", "local x = 0\nwhile true do x = x + 1 end\n");
        CPPUNIT_ASSERT(!built.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("top.lua"), built.error.file);
        CPPUNIT_ASSERT_EQUAL(2, built.error.line);
    }

    void hugeStringsHitTheMemoryCap()
    {
        RulesFixture f({100000000, 16u * 1024u * 1024u});
        CPPUNIT_ASSERT(f.load("mem.lua", R"(
            function before_book(ctx)
              local s = string.rep("x", 1024 * 1024 * 1024)
              return true
            end
            function before_prescribe(ctx)
              local s = "x"
              while true do s = s .. s end
            end
            function slot_length(ctx)
              local t = {}
              for i = 1, 1e9 do t[i] = i end
            end)")
                           .ok);
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "memory limit of 16777216 bytes exceeded"));
        d = f.engine->beforePrescribe(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed);
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "memory limit"));
        auto s = f.engine->slotLength(ctxFrom(kCtx), 30);
        CPPUNIT_ASSERT(s.failed());
        CPPUNIT_ASSERT_EQUAL(30, s.minutes);
    }

    void escapesFromTheSandboxAreNotThere()
    {
        const std::vector<std::pair<std::string, std::string>> attempts = {
            {"io.open('/etc/passwd')", "io"},
            {"os.execute('true')", "execute"},
            {"os.exit(1)", "exit"},
            {"os.remove('/tmp/x')", "remove"},
            {"os.getenv('HOME')", "getenv"},
            {"require('os')", "require"},
            {"load('return 1')()", "load"},
            {"loadfile('/etc/passwd')", "loadfile"},
            {"dofile('/etc/passwd')", "dofile"},
            {"string.dump(before_book)", "dump"},
            {"package.loadlib('libc.so.6', 'system')", "package"},
            {"debug.getinfo(1)", "debug"},
            {"collectgarbage('stop')", "collectgarbage option 'stop'"},
        };
        for (const auto& [code, word] : attempts) {
            RulesFixture f;
            CPPUNIT_ASSERT(
                f.load("escape.lua", "function before_book(ctx)\n  " + code + "\n  return true\nend\n").ok);
            auto d = f.engine->beforeBook(ctxFrom(kCtx));
            CPPUNIT_ASSERT_MESSAGE(code, !d.allowed && d.failed());
            CPPUNIT_ASSERT_MESSAGE(code + ": " + d.error, contains(d.error, "escape.lua:2:"));
            CPPUNIT_ASSERT_MESSAGE(code + ": " + d.error, contains(d.error, word));
        }
        // What stays: the safe parts of os, string, table, math, utf8.
        RulesFixture ok;
        CPPUNIT_ASSERT(ok.load("ok.lua", R"(
            function before_book(ctx)
              assert(type(os.time()) == "number" and type(os.clock()) == "number")
              assert(os.date("!%Y", 0) == "1970" and os.difftime(2, 1) == 1)
              assert(string.format("%03d", 7) == "007" and table.concat({1, 2}, ",") == "1,2")
              assert(math.floor(2.5) == 2 and utf8.len("ăîș") == 3)
              assert(collectgarbage("count") > 0)
              return true
            end)")
                           .ok);
        auto d = ok.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT_MESSAGE(d.error, d.allowed);
    }

    void wrongReturnTypesAreRuleErrorsHandledPerFailureMode()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("bad.lua", R"(
            function before_book(ctx) return {} end
            function before_prescribe(ctx) return false, {} end
            function slot_length(ctx)
              if ctx.case == 1 then return "30" end
              if ctx.case == 2 then return 0 end
              if ctx.case == 3 then return 10000 end
              if ctx.case == 4 then return 12.5 end
              return 45
            end
            function cancel_policy(ctx)
              if ctx.case == 1 then return "yes" end
              if ctx.case == 2 then return {allowed = true, fee_minor = -5} end
              return {allowed = "true"}
            end)")
                           .ok);
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "before_book returned a table"));
        d = f.engine->beforePrescribe(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        for (int c = 1; c <= 4; ++c) {
            auto s = f.engine->slotLength(ctxFrom("{\"case\": " + std::to_string(c) + "}"), 30);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(c), s.failed());
            CPPUNIT_ASSERT_EQUAL(30, s.minutes);
        }
        auto s = f.engine->slotLength(ctxFrom("{\"case\": 0}"), 30);
        CPPUNIT_ASSERT(!s.failed());
        CPPUNIT_ASSERT_EQUAL(45, s.minutes);
        for (int c = 1; c <= 3; ++c) {
            auto k = f.engine->cancelPolicy(ctxFrom("{\"case\": " + std::to_string(c) + "}"));
            CPPUNIT_ASSERT_MESSAGE(std::to_string(c), k.failed() && !k.allowed && !k.feeMinor);
        }
    }

    void cancelPolicyFeeAndFailClosed()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("c.lua", R"(
            function cancel_policy(ctx)
              if ctx.minutes_until_start < 60 then return false, "too late to cancel" end
              if ctx.minutes_until_start < 1440 then return {allowed = true, fee_minor = ctx.service.price_minor // 2} end
              if ctx.minutes_until_start == 5000 then error("boom") end
              return true
            end)")
                           .ok);
        auto k = f.engine->cancelPolicy(
            ctxFrom(R"({"minutes_until_start": 30, "service": {"price_minor": 100}})"));
        CPPUNIT_ASSERT(!k.allowed && !k.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("too late to cancel"), k.reason);
        k = f.engine->cancelPolicy(
            ctxFrom(R"({"minutes_until_start": 300, "service": {"price_minor": 12000}})"));
        CPPUNIT_ASSERT(k.allowed && k.feeMinor);
        CPPUNIT_ASSERT_EQUAL(std::int64_t(6000), *k.feeMinor);
        k = f.engine->cancelPolicy(ctxFrom(R"({"minutes_until_start": 3000})"));
        CPPUNIT_ASSERT(k.allowed && !k.feeMinor);
        k = f.engine->cancelPolicy(ctxFrom(R"({"minutes_until_start": 5000})"));
        CPPUNIT_ASSERT(!k.allowed && k.failed());
        CPPUNIT_ASSERT_MESSAGE(k.error, contains(k.error, "c.lua:5: boom"));
    }

    void remindersAreValidatedOrFallBack()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("r.lua", R"(
            function reminders(ctx)
              if ctx.case == 1 then return {{offset_minutes = 1440, channel = "email"}, {120, "sms"}} end
              if ctx.case == 2 then return {} end
              if ctx.case == 3 then return {{offset_minutes = 60, channel = "pigeon"}} end
              if ctx.case == 4 then return {{offset_minutes = "60", channel = "sms"}} end
              if ctx.case == 5 then return "email" end
              return nil
            end)")
                           .ok);
        const std::vector<Reminder> defaults = {{1440, "email"}};
        auto r = f.engine->reminders(ctxFrom(R"({"case": 1})"), defaults);
        CPPUNIT_ASSERT(!r.failed());
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.reminders.size());
        CPPUNIT_ASSERT_EQUAL(120, r.reminders[1].offsetMinutes);
        CPPUNIT_ASSERT_EQUAL(std::string("sms"), r.reminders[1].channel);
        r = f.engine->reminders(ctxFrom(R"({"case": 2})"), defaults);
        CPPUNIT_ASSERT(!r.failed() && r.reminders.empty());
        for (int c = 3; c <= 5; ++c) {
            r = f.engine->reminders(ctxFrom("{\"case\": " + std::to_string(c) + "}"), defaults);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(c), r.failed());
            CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.reminders.size());
        }
        r = f.engine->reminders(ctxFrom(R"({"case": 0})"), defaults);
        CPPUNIT_ASSERT(!r.failed() && r.reminders.size() == 1);
    }

    void filesLoadInNameOrderIntoOneEnvironment()
    {
        RulesFixture f;
        f.write("20-limit.lua", "LIMIT = LIMIT * 2\n");
        f.write("10-base.lua", "LIMIT = 50\nfunction before_book(ctx) return ctx.n <= LIMIT, 'over' end\n");
        f.write("notes.txt", "not a script");
        auto built = f.engine->reload();
        CPPUNIT_ASSERT_MESSAGE(built.error.text(), built.ok);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), built.info.files.size());
        CPPUNIT_ASSERT_EQUAL(std::string("10-base.lua"), built.info.files[0]);
        CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(R"({"n": 100})")).allowed);
        CPPUNIT_ASSERT(!f.engine->beforeBook(ctxFrom(R"({"n": 101})")).allowed);
    }

    void reloadSwapsOnlyAGoodGeneration()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", "function before_book(ctx) return false, 'v1' end").ok);
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), f.engine->beforeBook(ctxFrom(kCtx)).reason);
        auto good = f.load("a.lua", "function before_book(ctx) return false, 'v2' end");
        CPPUNIT_ASSERT(good.ok);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), good.info.generation);
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), f.engine->beforeBook(ctxFrom(kCtx)).reason);
        auto bad = f.load("a.lua", "function before_book(ctx)\n  return false, 'v3'\nedn\n");
        CPPUNIT_ASSERT(!bad.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("a.lua"), bad.error.file);
        CPPUNIT_ASSERT_EQUAL(3, bad.error.line);
        CPPUNIT_ASSERT_MESSAGE(bad.error.message, contains(bad.error.message, "expected"));
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), d.reason);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), d.generation);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), f.engine->current().generation);
        // A runtime error at load time names its line too.
        bad = f.load("a.lua", "local t = nil\n\nlocal x = t.field\n");
        CPPUNIT_ASSERT(!bad.ok);
        CPPUNIT_ASSERT_EQUAL(3, bad.error.line);
    }

    void aHookThatIsNotAFunctionIsRejected()
    {
        RulesFixture f;
        auto built = f.load("a.lua", "slot_length = 45\n");
        CPPUNIT_ASSERT(!built.ok);
        CPPUNIT_ASSERT_MESSAGE(built.error.text(), contains(built.error.text(), "slot_length is a number"));
    }

    void aStateSurvivesItsErrors()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function before_book(ctx)
              if ctx.loop then while true do end end
              if ctx.big then local s = string.rep("x", 1 << 30) end
              return true
            end)")
                           .ok);
        for (int i = 0; i < 3; ++i) {
            CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(R"({"loop": true})")).failed());
            CPPUNIT_ASSERT(f.engine->beforeBook(ctxFrom(R"({"big": true})")).failed());
            auto d = f.engine->beforeBook(ctxFrom("{}"));
            CPPUNIT_ASSERT_MESSAGE(d.error, d.allowed && !d.failed());
        }
    }

    void eachThreadHasItsOwnStateAndSeesReloads()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            calls = 0
            function slot_length(ctx) calls = calls + 1; return 5 + calls end)")
                           .ok);
        std::atomic<int> failures {0};
        auto worker = [&] {
            for (int i = 1; i <= 200; ++i)
                if (f.engine->slotLength(ctxFrom("{}"), 30).minutes != 5 + i)
                    ++failures;
        };
        std::thread a(worker), b(worker);
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT(f.load("a.lua", "function slot_length(ctx) return 90 end").ok);
        std::thread c([&] { failures = f.engine->slotLength(ctxFrom("{}"), 30).minutes; });
        c.join();
        CPPUNIT_ASSERT_EQUAL(90, failures.load());
        CPPUNIT_ASSERT_EQUAL(90, f.engine->slotLength(ctxFrom("{}"), 30).minutes);
    }

    void timeHelpersDoWallClockArithmetic()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("t.lua", R"(
            function before_book(ctx)
              assert(clinic.minutes_between("2026-11-23T10:00:00", "2026-11-24T11:30:00") == 1530)
              assert(clinic.minutes_between("2026-03-01T00:00:00", "2026-02-28T23:00:00") == -60)
              assert(clinic.date_of("2026-11-23T10:00:00") == "2026-11-23")
              assert(clinic.weekday_of("2026-11-23T10:00:00") == 1)
              assert(clinic.weekday_of("2026-11-22") == 7)
              assert(clinic.minutes_of_day("2026-11-23T10:30:00") == 630)
              clinic.log("time helpers ok")
              return true
            end)")
                           .ok);
        auto d = f.engine->beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT_MESSAGE(d.error, d.allowed);
    }

    void reloadsUnderLoadNeverFailACall()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", "function slot_length(ctx) return 40 end").ok);
        std::atomic<bool> stop {false};
        std::atomic<int> bad {0}, calls {0};
        auto worker = [&] {
            while (!stop) {
                auto s = f.engine->slotLength(ctxFrom("{}"), 30);
                if (s.failed() || (s.minutes != 40 && s.minutes != 50))
                    ++bad;
                ++calls;
            }
        };
        std::thread a(worker), b(worker);
        for (int i = 0; i < 20; ++i) {
            f.load(
                "a.lua", std::string("function slot_length(ctx) return ") + (i % 2 ? "40" : "50") + " end");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        stop = true;
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL(0, bad.load());
        CPPUNIT_ASSERT(calls.load() > 20);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(21), f.engine->current().generation);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RuleEngineTest);
