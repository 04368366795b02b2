// The rule engine inside the real clinicd, reached through a test-only
// plugin that calls host.rules() like the scheduling plugin will: a hostile
// script costs one failed call (failing closed) and never the daemon; reload
// by the API and by SIGHUP swaps only good scripts; check-config names a
// broken script's file and line; the engine's metrics move.

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <csignal>
#include <map>
#include <regex>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

using Scripts = std::map<std::string, std::string>;

/// A rules.dir and a daemon serving it with the rulestest plugin.
struct RulesDaemon {
    TempDir rules;
    std::unique_ptr<Daemon> daemon;

    explicit RulesDaemon(
        const std::map<std::string, std::string>& scripts, const std::string& load = "rulestest")
    {
        for (const auto& [name, source] : scripts)
            writeFile(rules.file(name), source);
        Daemon::Options options;
        options.config["rules.dir"] = rules.path();
        options.config["plugins.load"] = load;
        daemon = std::make_unique<Daemon>(options);
    }

    /// POST /api/v1/rulestest/{hook}: the outcome object.
    Poco::JSON::Object::Ptr call(
        HttpClient& c, const std::string& hook, const std::string& ctx = "{}", const std::string& extra = "")
    {
        auto r = c.post(
            "/api/v1/rulestest/" + hook, "{\"ctx\": " + ctx + (extra.empty() ? "" : ", " + extra) + "}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        return r.json();
    }
};

std::string reasonOf(const Poco::JSON::Object::Ptr& outcome)
{
    return outcome->getValue<std::string>("reason");
}

const char* kHostile = R"(-- every way out of the sandbox, chosen by ctx.attack
function before_book(ctx)
  local a = ctx.attack
  if a == "loop" then while true do end end
  if a == "rep" then local s = string.rep("x", 1024 * 1024 * 1024) end
  if a == "concat" then local s = "x" while #s < 1024 * 1024 * 1024 do s = s .. s end end
  if a == "io" then io.open("/etc/passwd") end
  if a == "execute" then os.execute("touch /tmp/clinicd-rules-escaped") end
  if a == "exit" then os.exit(3) end
  if a == "require" then require("io") end
  if a == "load" then load("return 1")() end
  if a == "dofile" then dofile("/etc/passwd") end
  if a == "table" then return {} end
  return true
end
)";

} // namespace

class RulesDaemonTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RulesDaemonTest);
    CPPUNIT_TEST(hostileScriptsFailClosedWithinTheBudgetAndTheDaemonKeepsServing);
    CPPUNIT_TEST(reloadByApiSwapsAGoodScriptAndKeepsTheOldOnASyntaxError);
    CPPUNIT_TEST(sighupReloadsTheRules);
    CPPUNIT_TEST(checkConfigNamesTheBrokenScriptsFileAndLine);
    CPPUNIT_TEST(aBrokenScriptAtStartStopsTheDaemonNamingIt);
    CPPUNIT_TEST(theShippedScriptsDecideThroughTheDaemon);
    CPPUNIT_TEST(evaluationsAndReloadsShowInMetrics);
    CPPUNIT_TEST(aFunctionNoPluginDeclaresIsWarnedByCheckConfigAndReload);
    CPPUNIT_TEST_SUITE_END();

public:
    void hostileScriptsFailClosedWithinTheBudgetAndTheDaemonKeepsServing()
    {
        RulesDaemon d(Scripts {{"hostile.lua", kHostile}});
        auto c = d.daemon->client();
        const std::vector<std::pair<std::string, std::string>> attacks = {
            {"loop", "hostile.lua:4: instruction budget of 1000000 exceeded"},
            {"rep", "memory limit of 16777216 bytes exceeded"},
            {"concat", "memory limit of 16777216 bytes exceeded"},
            {"io", "hostile.lua:7: attempt to index a nil value (global 'io')"},
            {"execute", "hostile.lua:8: attempt to call a nil value (field 'execute')"},
            {"exit", "hostile.lua:9: attempt to call a nil value (field 'exit')"},
            {"require", "hostile.lua:10: attempt to call a nil value (global 'require')"},
            {"load", "hostile.lua:11: attempt to call a nil value (global 'load')"},
            {"dofile", "hostile.lua:12: attempt to call a nil value (global 'dofile')"},
            {"table", "before_book returned a table"},
        };
        for (const auto& [attack, error] : attacks) {
            const auto start = std::chrono::steady_clock::now();
            auto out = d.call(c, "before_book", "{\"attack\": \"" + attack + "\"}");
            const auto took = std::chrono::steady_clock::now() - start;
            CPPUNIT_ASSERT_MESSAGE(attack, !out->getValue<bool>("allowed"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(attack, std::string("rule error"), reasonOf(out));
            const std::string got = out->getValue<std::string>("error");
            CPPUNIT_ASSERT_MESSAGE(attack + ": " + got, contains(got, error));
            CPPUNIT_ASSERT_MESSAGE(attack, took < std::chrono::seconds(5));
            CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
        }
        CPPUNIT_ASSERT(d.daemon->running());
        CPPUNIT_ASSERT(d.call(c, "before_book", R"({"attack": "none"})")->getValue<bool>("allowed"));
        // The script error is in the daemon's log, with the hook that failed.
        CPPUNIT_ASSERT_MESSAGE(d.daemon->log(), eventually([&] {
            return contains(d.daemon->log(), "rules: before_book (generation 1) failed after ");
        }));
    }

    void reloadByApiSwapsAGoodScriptAndKeepsTheOldOnASyntaxError()
    {
        RulesDaemon d(Scripts {{"policy.lua", "function before_book(ctx) return false, 'v1' end\n"}});
        auto c = d.daemon->client();
        auto admin = firstAdmin(*d.daemon, c);
        CPPUNIT_ASSERT_EQUAL(std::string("v1"), reasonOf(d.call(c, "before_book")));

        writeFile(d.rules.file("policy.lua"),
            "function before_book(ctx) return false, 'v2' end\nfunction slot_length(ctx) return 45 end\n");
        auto r = c.post("/api/v1/system/rules/reload", "", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(2, r.json()->getValue<int>("generation"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("policy.lua"), r.json()->getArray("files")->getElement<std::string>(0));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.json()->getArray("hooks")->size());
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), reasonOf(d.call(c, "before_book")));
        CPPUNIT_ASSERT_EQUAL(45, d.call(c, "slot_length")->getValue<int>("minutes"));

        writeFile(
            d.rules.file("policy.lua"), "function before_book(ctx)\n  return false, 'v3'\n\nfunction\n");
        r = c.post("/api/v1/system/rules/reload", "", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULES_INVALID"), r.errorCode());
        auto details = r.json()->getObject("error")->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("policy.lua"), details->getValue<std::string>("file"));
        CPPUNIT_ASSERT_EQUAL(4, details->getValue<int>("line"));
        CPPUNIT_ASSERT(!details->getValue<std::string>("error").empty());
        // The old rules still decide.
        auto out = d.call(c, "before_book");
        CPPUNIT_ASSERT_EQUAL(std::string("v2"), reasonOf(out));
        CPPUNIT_ASSERT_EQUAL(2, out->getValue<int>("generation"));
        r = c.get("/api/v1/system/rules", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(2, r.json()->getValue<int>("generation"));
        // Only an admin reloads.
        auto nurse = createAndSignIn(c, admin, "nurse.rules", "nurse");
        CPPUNIT_ASSERT_EQUAL(
            403, c.post("/api/v1/system/rules/reload", "", bearer(nurse.accessToken)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.post("/api/v1/system/rules/reload", "").status);
    }

    void sighupReloadsTheRules()
    {
        RulesDaemon d(Scripts {{"policy.lua", "function before_book(ctx) return false, 'before' end\n"}});
        auto c = d.daemon->client();
        CPPUNIT_ASSERT_EQUAL(std::string("before"), reasonOf(d.call(c, "before_book")));
        writeFile(d.rules.file("policy.lua"), "function before_book(ctx) return false, 'after' end\n");
        d.daemon->signal(SIGHUP);
        CPPUNIT_ASSERT(eventually([&] { return reasonOf(d.call(c, "before_book")) == "after"; }));
        // A broken script on SIGHUP keeps the rules and the daemon.
        writeFile(d.rules.file("policy.lua"), "function before_book(ctx\n");
        d.daemon->signal(SIGHUP);
        CPPUNIT_ASSERT(eventually([&] { return contains(d.daemon->log(), "reload rejected"); }));
        CPPUNIT_ASSERT(d.daemon->running());
        CPPUNIT_ASSERT_EQUAL(std::string("after"), reasonOf(d.call(c, "before_book")));
    }

    void checkConfigNamesTheBrokenScriptsFileAndLine()
    {
        RulesDaemon d(Scripts {{"10-good.lua", "LIMIT = 3\n"},
            {"20-good.lua", "function slot_length(ctx) return LIMIT * 10 end\n"}});
        auto check = runProcess(binary("clinicd"), {"--config=" + d.daemon->configFile(), "--check-config"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
        CPPUNIT_ASSERT_MESSAGE(check.out,
            contains(check.out, "rules: 2 script(s) in " + d.rules.path() + ": ok (hooks: slot_length)"));
        writeFile(d.rules.file("20-good.lua"), "local x = 1\nif x then\n");
        check = runProcess(binary("clinicd"), {"--config=" + d.daemon->configFile(), "--check-config"});
        CPPUNIT_ASSERT_MESSAGE(check.out + check.err, check.exitCode != 0);
        CPPUNIT_ASSERT_MESSAGE(check.out,
            contains(check.out, "error: rules.dir: " + d.rules.path() + "/20-good.lua:3: 'end' expected"));
        // clinicctl check-config runs the same check.
        auto ctl = runProcess(binary("clinicctl"), {"--config=" + d.daemon->configFile(), "check-config"});
        CPPUNIT_ASSERT_EQUAL(check.out, ctl.out);
    }

    void aBrokenScriptAtStartStopsTheDaemonNamingIt()
    {
        TempDir rules;
        writeFile(rules.file("broken.lua"), "function before_book(ctx)\n  return )\nend\n");
        Daemon::Options options;
        options.config["rules.dir"] = rules.path();
        options.waitLive = false;
        Daemon daemon(options);
        const int code = daemon.waitExit(30);
        CPPUNIT_ASSERT_MESSAGE(daemon.log(), code != 0 && code != -1);
        CPPUNIT_ASSERT_MESSAGE(daemon.log(), contains(daemon.log(), "broken.lua:2:"));
    }

    void theShippedScriptsDecideThroughTheDaemon()
    {
        RulesDaemon d(Scripts {{"default.lua", readFile(sourceDir() + "/lua/rules/default.lua")},
            {"site-dental.lua", readFile(sourceDir() + "/lua/examples/dental.lua")}});
        auto c = d.daemon->client();
        const std::string newPatientToday
            = R"({"start_local": "2026-11-23T15:00:00", "now_local": "2026-11-23T08:00:00",
            "minutes_until_start": 420, "patient": {"id": 1, "age": 40, "is_new": true}, "actor": {"role": "patient"}})";
        auto out = d.call(c, "before_book", newPatientToday);
        CPPUNIT_ASSERT(!out->getValue<bool>("allowed"));
        CPPUNIT_ASSERT_EQUAL(std::string("new patients cannot be booked for the same day"), reasonOf(out));
        CPPUNIT_ASSERT_EQUAL(45, d.call(c, "slot_length", newPatientToday)->getValue<int>("minutes"));
        out = d.call(
            c, "before_book", R"({"start_local": "2026-11-22T15:00:00", "now_local": "2026-11-23T08:00:00",
            "minutes_until_start": -1020, "patient": {"id": 1, "age": 40, "is_new": false}})");
        CPPUNIT_ASSERT_EQUAL(std::string("the start is in the past"), reasonOf(out));
    }

    void evaluationsAndReloadsShowInMetrics()
    {
        RulesDaemon d(Scripts {{"policy.lua", "function before_book(ctx) return ctx.ok == true, 'no' end\n"}},
            "rulestest,metrics");
        auto c = d.daemon->client();
        auto metric = [&](const std::string& series) {
            auto r = c.get("/metrics");
            CPPUNIT_ASSERT_EQUAL(200, r.status);
            std::smatch m;
            const std::regex line("(^|\n)"
                + std::regex_replace(series, std::regex(R"([{}\\.\[\]()+*?^$|])"), R"(\$&)")
                + " ([0-9.e+-]+)");
            return std::regex_search(r.body, m, line) ? std::stod(m[2]) : -1.0;
        };
        CPPUNIT_ASSERT_EQUAL(1.0, metric("clinicd_rules_generation"));
        const std::string rejected = R"(clinicd_rule_evaluations_total{hook="before_book",outcome="reject"})";
        const double before = metric(rejected);
        d.call(c, "before_book", R"({"ok": false})");
        d.call(c, "before_book", R"({"ok": false})");
        CPPUNIT_ASSERT_EQUAL(before + 2, metric(rejected));
        CPPUNIT_ASSERT(metric(R"(clinicd_rule_evaluation_duration_seconds_count{hook="before_book"})") >= 2);
        d.daemon->signal(SIGHUP);
        CPPUNIT_ASSERT(eventually([&] { return metric("clinicd_rules_generation") == 2.0; }));
        CPPUNIT_ASSERT_EQUAL(2.0, metric(R"(clinicd_rule_reloads_total{result="ok"})"));
    }

    void aFunctionNoPluginDeclaresIsWarnedByCheckConfigAndReload()
    {
        // A misspelt hook would never run: the daemon says so, with the file
        // and line, without refusing the scripts.
        RulesDaemon d(
            Scripts {{"policy.lua", "LIMIT = 3\n\nfunction befor_book(ctx)\n  return false\nend\n"}});
        const std::string warning = "policy.lua:3: function befor_book is not a hook any plugin declares";
        auto check = runProcess(binary("clinicd"), {"--config=" + d.daemon->configFile(), "--check-config"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
        CPPUNIT_ASSERT_MESSAGE(
            check.out, contains(check.out, "warning: rules.dir: " + d.rules.path() + "/" + warning));
        CPPUNIT_ASSERT_MESSAGE(
            d.daemon->log(), eventually([&] { return contains(d.daemon->log(), warning); }));

        auto c = d.daemon->client();
        auto admin = firstAdmin(*d.daemon, c);
        writeFile(d.rules.file("policy.lua"),
            "function before_book(ctx) return true end\nfunction after_visit(ctx) return 60 end\n");
        auto r = c.post("/api/v1/system/rules/reload", "", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto warnings = r.json()->getArray("warnings");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::size_t(1), warnings->size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("policy.lua:2: function after_visit is not a hook any plugin declares"),
            warnings->getElement<std::string>(0));

        // The listing names every declared hook with its plugin, defined or not.
        r = c.get("/api/v1/system/rules", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.json()->getArray("warnings")->size());
        std::map<std::string, Poco::JSON::Object::Ptr> declared;
        auto list = r.json()->getArray("declared");
        for (std::size_t i = 0; i < list->size(); ++i)
            declared[list->getObject(static_cast<unsigned>(i))->getValue<std::string>("name")]
                = list->getObject(static_cast<unsigned>(i));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::size_t(6), declared.size());
        for (const auto& [name, hook] : declared)
            CPPUNIT_ASSERT_EQUAL(std::string("rulestest"), hook->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT(declared["before_book"]->getValue<bool>("defined"));
        CPPUNIT_ASSERT(!declared["before_prescribe"]->getValue<bool>("defined"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("caller_default"), declared["slot_length"]->getValue<std::string>("on_failure"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("fail_closed"), declared["cancel_policy"]->getValue<std::string>("on_failure"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RulesDaemonTest);
