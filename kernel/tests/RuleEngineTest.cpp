// The rule engine without a daemon: hooks and their typed outcomes, the
// sandbox and its limits, reload, and one state per thread.

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <prometheus/registry.h>

#include "RuleTestSupport.h"

using namespace clinic;
using namespace clinic::test;

namespace {

/// A counter or histogram count from the registry; -1 when the series is absent.
double seriesValue(prometheus::Registry& registry, const std::string& family,
    const std::map<std::string, std::string>& labels)
{
    for (const auto& f : registry.Collect()) {
        if (f.name != family)
            continue;
        for (const auto& m : f.metric) {
            std::map<std::string, std::string> have;
            for (const auto& l : m.label)
                have[l.name] = l.value;
            if (have == labels)
                return f.type == prometheus::MetricType::Histogram
                    ? static_cast<double>(m.histogram.sample_count)
                    : m.counter.value;
        }
    }
    return -1;
}

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
    CPPUNIT_TEST(filesLoadInNameOrderIntoOneEnvironment);
    CPPUNIT_TEST(reloadSwapsOnlyAGoodGeneration);
    CPPUNIT_TEST(aHookThatIsNotAFunctionIsRejected);
    CPPUNIT_TEST(aStateSurvivesItsErrors);
    CPPUNIT_TEST(eachThreadHasItsOwnStateAndSeesReloads);
    CPPUNIT_TEST(timeHelpersDoWallClockArithmetic);
    CPPUNIT_TEST(reloadsUnderLoadNeverFailACall);
    CPPUNIT_TEST(anUndeclaredHookIsAProgrammingErrorAndANameIsDeclaredOnce);
    CPPUNIT_TEST(theGenericCallAnswersTheScriptsValuesConverted);
    CPPUNIT_TEST(aReadersErrorIsARuleErrorAndItsVerdictIsCounted);
    CPPUNIT_TEST(aDecisionHookThatFallsBackAllowsOnAnError);
    CPPUNIT_TEST(functionsNoPluginDeclaredAreWarnedWithFileAndLine);
    CPPUNIT_TEST_SUITE_END();

public:
    void noScriptsMeansBuiltInDefaultsWithoutLua()
    {
        RulesFixture f;
        auto built = f.engine->reload();
        CPPUNIT_ASSERT(built.ok);
        CPPUNIT_ASSERT(built.info.files.empty());
        auto d = f.beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(d.allowed);
        CPPUNIT_ASSERT(!d.hookExists);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), d.generation);
        CPPUNIT_ASSERT_EQUAL(30, f.slotLength(ctxFrom(kCtx), 30).minutes);

        // A rules.dir that does not exist is no rules at all, not an error.
        rules::RuleEngineImpl missing("/nonexistent/clinicd/rules", {}, nullptr);
        missing.declare({"before_book", "", RuleFailure::FailClosed}, "test");
        CPPUNIT_ASSERT(missing.reload().ok);
        CPPUNIT_ASSERT(decide(missing, "before_book", ctxFrom(kCtx)).allowed);
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
        auto yes = f.beforeBook(ctxFrom(R"({"minutes_until_start": 600})"));
        CPPUNIT_ASSERT(yes.allowed && yes.hookExists && !yes.failed());
        auto no = f.beforeBook(ctxFrom(R"({"minutes_until_start": 5})"));
        CPPUNIT_ASSERT(!no.allowed && !no.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("too late"), no.reason);
        auto bare = f.beforeBook(ctxFrom(R"({"minutes_until_start": 20000})"));
        CPPUNIT_ASSERT(!bare.allowed && !bare.reason.empty());
        CPPUNIT_ASSERT(f.beforeBook(ctxFrom(R"({"minutes_until_start": 999})")).allowed);
        // A hook the scripts do not define is the default.
        CPPUNIT_ASSERT(!f.beforePrescribe(ctxFrom(kCtx)).hookExists);
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
        auto d = f.beforeBook(ctx);
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
        auto d = f.beforeBook(ctxFrom(kCtx), helpers);
        CPPUNIT_ASSERT(!d.allowed && !d.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("at most 3 bookings in 30 days, has 3"), d.reason);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), seenPatient);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), seenDays);
        count = 1;
        CPPUNIT_ASSERT(f.beforeBook(ctxFrom(kCtx), helpers).allowed);
        count = -1;
        d = f.beforeBook(ctxFrom(kCtx), helpers);
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), d.reason);
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "database away"));
        // Without the helper the script fails: fail closed, not a crash.
        d = f.beforeBook(ctxFrom(kCtx));
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
        CPPUNIT_ASSERT(f.beforeBook(ctxFrom(kCtx), helpers).allowed);
        auto d = f.beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "only during the hook call"));
    }

    void endlessLoopFailsClosedWithinTheBudget()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("loop.lua", "function before_book(ctx)\n  while true do end\nend\n").ok);
        const auto start = std::chrono::steady_clock::now();
        auto d = f.beforeBook(ctxFrom(kCtx));
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
        auto d = f.beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "memory limit of 16777216 bytes exceeded"));
        d = f.beforePrescribe(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed);
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "memory limit"));
        auto s = f.slotLength(ctxFrom(kCtx), 30);
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
            auto d = f.beforeBook(ctxFrom(kCtx));
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
        auto d = ok.beforeBook(ctxFrom(kCtx));
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
            end)")
                           .ok);
        auto d = f.beforeBook(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        CPPUNIT_ASSERT_MESSAGE(d.error, contains(d.error, "before_book returned a table"));
        d = f.beforePrescribe(ctxFrom(kCtx));
        CPPUNIT_ASSERT(!d.allowed && d.failed());
        for (int c = 1; c <= 4; ++c) {
            auto s = f.slotLength(ctxFrom("{\"case\": " + std::to_string(c) + "}"), 30);
            CPPUNIT_ASSERT_MESSAGE(std::to_string(c), s.failed());
            CPPUNIT_ASSERT_EQUAL(30, s.minutes);
        }
        auto s = f.slotLength(ctxFrom("{\"case\": 0}"), 30);
        CPPUNIT_ASSERT(!s.failed());
        CPPUNIT_ASSERT_EQUAL(45, s.minutes);
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
        CPPUNIT_ASSERT(f.beforeBook(ctxFrom(R"({"n": 100})")).allowed);
        CPPUNIT_ASSERT(!f.beforeBook(ctxFrom(R"({"n": 101})")).allowed);
    }

    void reloadSwapsOnlyAGoodGeneration()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", "function before_book(ctx) return false, 'v1' end").ok);
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), f.beforeBook(ctxFrom(kCtx)).reason);
        auto good = f.load("a.lua", "function before_book(ctx) return false, 'v2' end");
        CPPUNIT_ASSERT(good.ok);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), good.info.generation);
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), f.beforeBook(ctxFrom(kCtx)).reason);
        auto bad = f.load("a.lua", "function before_book(ctx)\n  return false, 'v3'\nedn\n");
        CPPUNIT_ASSERT(!bad.ok);
        CPPUNIT_ASSERT_EQUAL(std::string("a.lua"), bad.error.file);
        CPPUNIT_ASSERT_EQUAL(3, bad.error.line);
        CPPUNIT_ASSERT_MESSAGE(bad.error.message, contains(bad.error.message, "expected"));
        auto d = f.beforeBook(ctxFrom(kCtx));
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
            CPPUNIT_ASSERT(f.beforeBook(ctxFrom(R"({"loop": true})")).failed());
            CPPUNIT_ASSERT(f.beforeBook(ctxFrom(R"({"big": true})")).failed());
            auto d = f.beforeBook(ctxFrom("{}"));
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
                if (f.slotLength(ctxFrom("{}"), 30).minutes != 5 + i)
                    ++failures;
        };
        std::thread a(worker), b(worker);
        a.join();
        b.join();
        CPPUNIT_ASSERT_EQUAL(0, failures.load());
        CPPUNIT_ASSERT(f.load("a.lua", "function slot_length(ctx) return 90 end").ok);
        std::thread c([&] { failures = f.slotLength(ctxFrom("{}"), 30).minutes; });
        c.join();
        CPPUNIT_ASSERT_EQUAL(90, failures.load());
        CPPUNIT_ASSERT_EQUAL(90, f.slotLength(ctxFrom("{}"), 30).minutes);
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
        auto d = f.beforeBook(ctxFrom(kCtx));
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
                auto s = f.slotLength(ctxFrom("{}"), 30);
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
    void anUndeclaredHookIsAProgrammingErrorAndANameIsDeclaredOnce()
    {
        RulesFixture f;
        CPPUNIT_ASSERT(f.load("a.lua", "function before_visit(ctx) return true end\n").ok);
        // A plugin calling a hook it never declared has a bug: it throws
        // instead of quietly answering the default.
        CPPUNIT_ASSERT_THROW(f.engine->call("before_visit", ctxFrom("{}")), std::logic_error);
        CPPUNIT_ASSERT_THROW(decide(*f.engine, "before_visit", ctxFrom("{}")), std::logic_error);
        try {
            f.engine->declare({"before_book", "", RuleFailure::FailClosed}, "other");
            CPPUNIT_FAIL("a second declaration of before_book was accepted");
        } catch (const std::invalid_argument& e) {
            CPPUNIT_ASSERT_MESSAGE(e.what(), contains(e.what(), "already declared by plugin test"));
        }
        CPPUNIT_ASSERT_THROW(
            f.engine->declare({"Before-Visit", "", RuleFailure::FailClosed}, "test"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(
            f.engine->declare({"", "", RuleFailure::FailClosed}, "test"), std::invalid_argument);
        // Declared, the same hook runs; a withdrawn owner's hooks are gone again.
        f.engine->declare({"before_visit", "visit ctx -> true | false", RuleFailure::FailClosed}, "visits");
        CPPUNIT_ASSERT(decide(*f.engine, "before_visit", ctxFrom("{}")).allowed);
        f.engine->withdraw("visits");
        const auto declared = f.engine->current().declared;
        CPPUNIT_ASSERT(std::none_of(declared.begin(), declared.end(),
            [](const DeclaredRuleHook& h) { return h.name == "before_visit"; }));
    }

    void theGenericCallAnswersTheScriptsValuesConverted()
    {
        RulesFixture f;
        f.engine->declare({"visit_plan", "test: -> several values", RuleFailure::CallerDefault}, "test");
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function visit_plan(ctx)
              return {room = "B2", minutes = 20, staff = {"nurse", "doctor"}}, "note", 2.5, true, nil, print,
                ctx.patient.id
            end)")
                           .ok);
        auto a = f.engine->call("visit_plan", ctxFrom(kCtx));
        CPPUNIT_ASSERT_MESSAGE(a.error, a.hookExists && !a.failed());
        CPPUNIT_ASSERT(a.onFailure == RuleFailure::CallerDefault);
        const std::vector<std::string> types
            = {"table", "string", "number", "boolean", "nil", "function", "number"};
        CPPUNIT_ASSERT(types == a.luaTypes);
        CPPUNIT_ASSERT_EQUAL(std::size_t(7), a.values.size());
        auto plan = a.values[0].extract<Poco::JSON::Object::Ptr>();
        CPPUNIT_ASSERT_EQUAL(std::string("B2"), plan->getValue<std::string>("room"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(20), plan->getValue<Poco::Int64>("minutes"));
        CPPUNIT_ASSERT_EQUAL(std::string("doctor"), plan->getArray("staff")->getElement<std::string>(1));
        CPPUNIT_ASSERT_EQUAL(std::string("note"), a.values[1].extract<std::string>());
        CPPUNIT_ASSERT_EQUAL(2.5, a.values[2].extract<double>());
        CPPUNIT_ASSERT(a.values[3].extract<bool>());
        CPPUNIT_ASSERT(a.values[4].isEmpty() && a.values[5].isEmpty());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), a.values[6].extract<Poco::Int64>());
        // No script defines it: nothing ran, nothing answered.
        RulesFixture g;
        g.engine->declare({"visit_plan", "", RuleFailure::CallerDefault}, "test");
        CPPUNIT_ASSERT(g.engine->reload().ok);
        auto none = g.engine->call("visit_plan", ctxFrom(kCtx));
        CPPUNIT_ASSERT(!none.hookExists && !none.failed() && none.values.empty());
    }

    void aReadersErrorIsARuleErrorAndItsVerdictIsCounted()
    {
        prometheus::Registry registry;
        TempDir dir;
        writeFile(dir.file("a.lua"), "function visit_plan(ctx) return ctx.answer end\n");
        rules::RuleEngineImpl engine(dir.path(), {}, &registry);
        engine.declare({"visit_plan", "test", RuleFailure::FailClosed}, "test");
        CPPUNIT_ASSERT(engine.reload().ok);
        auto series = [&](const std::string& outcome) {
            return seriesValue(
                registry, "clinicd_rule_evaluations_total", {{"hook", "visit_plan"}, {"outcome", outcome}});
        };
        // Declared is enough for the series to exist.
        CPPUNIT_ASSERT_EQUAL(0.0, series("reject"));
        auto reader = [](const RuleAnswer& a) {
            RuleVerdict v;
            if (a.luaTypes[0] == "string")
                v.error = "visit_plan returned a string, expected a boolean";
            else if (a.luaTypes[0] == "table")
                throw std::runtime_error("cannot read it");
            else
                v.allowed = a.values[0].extract<bool>();
            return v;
        };
        CPPUNIT_ASSERT(!engine.call("visit_plan", ctxFrom(R"({"answer": false})"), {}, reader).failed());
        CPPUNIT_ASSERT(!engine.call("visit_plan", ctxFrom(R"({"answer": true})"), {}, reader).failed());
        auto wrong = engine.call("visit_plan", ctxFrom(R"({"answer": "yes"})"), {}, reader);
        CPPUNIT_ASSERT_EQUAL(std::string("visit_plan returned a string, expected a boolean"), wrong.error);
        CPPUNIT_ASSERT(wrong.values.empty());
        auto thrown = engine.call("visit_plan", ctxFrom(R"({"answer": {}})"), {}, reader);
        CPPUNIT_ASSERT_MESSAGE(thrown.error, contains(thrown.error, "visit_plan: cannot read it"));
        CPPUNIT_ASSERT_EQUAL(1.0, series("reject"));
        CPPUNIT_ASSERT_EQUAL(1.0, series("allow"));
        CPPUNIT_ASSERT_EQUAL(2.0, series("error"));
        CPPUNIT_ASSERT_EQUAL(
            4.0, seriesValue(registry, "clinicd_rule_evaluation_duration_seconds", {{"hook", "visit_plan"}}));
    }

    void aDecisionHookThatFallsBackAllowsOnAnError()
    {
        RulesFixture f;
        f.engine->declare({"before_note", "test", RuleFailure::CallerDefault}, "test");
        CPPUNIT_ASSERT(f.load("a.lua", R"(
            function before_note(ctx) if ctx.boom then error("boom") end return {} end
            function before_book(ctx) error("boom") end)")
                           .ok);
        auto note = decide(*f.engine, "before_note", ctxFrom(R"({"boom": true})"));
        CPPUNIT_ASSERT(note.failed() && note.allowed && note.reason.empty());
        note = decide(*f.engine, "before_note", ctxFrom("{}"));
        CPPUNIT_ASSERT(note.allowed);
        CPPUNIT_ASSERT_MESSAGE(note.error, contains(note.error, "before_note returned a table"));
        auto book = f.beforeBook(ctxFrom("{}"));
        CPPUNIT_ASSERT(book.failed() && !book.allowed);
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), book.reason);
    }

    void functionsNoPluginDeclaredAreWarnedWithFileAndLine()
    {
        RulesFixture f;
        f.write("10-a.lua",
            "LIMIT = 3\nlocal function helper() return 1 end\n\nfunction befor_book(ctx)\n"
            "  return true\nend\nfunction before_book(ctx) return helper() == 1 end\n");
        f.write("20-b.lua", "function print(...) end\nfunction no_show_after(ctx) return nil end\n");
        auto built = f.engine->reload();
        CPPUNIT_ASSERT_MESSAGE(built.error.text(), built.ok);
        const std::vector<std::string> expected
            = {"10-a.lua:4: function befor_book is not a hook any plugin declares",
                "20-b.lua:2: function no_show_after is not a hook any plugin declares"};
        CPPUNIT_ASSERT_EQUAL(expected.size(), built.info.warnings.size());
        CPPUNIT_ASSERT_EQUAL(expected[0], built.info.warnings[0]);
        CPPUNIT_ASSERT_EQUAL(expected[1], built.info.warnings[1]);
        CPPUNIT_ASSERT(expected == f.engine->current().warnings);
        CPPUNIT_ASSERT(std::vector<std::string> {"before_book"} == built.info.hooks);
        // Once a plugin declares it, the same script is clean.
        f.engine->declare({"no_show_after", "", RuleFailure::CallerDefault}, "noshows");
        built = f.engine->reload();
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), built.info.warnings.size());
        CPPUNIT_ASSERT_EQUAL(expected[0], built.info.warnings[0]);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), f.engine->check().info.warnings.size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RuleEngineTest);
