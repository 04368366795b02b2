// The example plugin's own Lua hook, before_note, through the real clinicd
// with a rules directory: a script's refusal is 422 RULE_REJECTED naming the
// rule, a script without the hook changes nothing, a script error refuses
// the note (the hook fails closed), and the daemon lists the hook as the
// example plugin's.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Object.h>

#include "TestSupport.h"

using namespace clinic::test;

namespace {

bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// A daemon with the example plugin and one script in its rules.dir.
struct NotesWithRules {
    TempDir rules;
    std::unique_ptr<Daemon> daemon;

    explicit NotesWithRules(const std::string& script)
    {
        writeFile(rules.file("site.lua"), script);
        Daemon::Options options;
        options.config["plugins.load"] = "example";
        options.config["rules.dir"] = rules.path();
        daemon = std::make_unique<Daemon>(options);
    }

    HttpResult note(const std::string& text)
    {
        return daemon->client().post("/api/v1/example/notes", "{\"text\": \"" + text + "\"}");
    }
};

const char* kNoPasswords = R"(-- notes are read at the front desk: no secrets in them
function before_note(ctx)
  if string.find(string.lower(ctx.text), "password", 1, true) then
    return false, "notes must not hold passwords"
  end
  if ctx.length > 100 then return false end
  return true
end
)";

} // namespace

class ExampleRulesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ExampleRulesTest);
    CPPUNIT_TEST(aScriptsRefusalIsRuleRejectedNamingTheRule);
    CPPUNIT_TEST(aScriptWithoutTheHookAllowsEveryNote);
    CPPUNIT_TEST(aScriptErrorRefusesTheNote);
    CPPUNIT_TEST(theHookIsListedAsTheExamplePlugins);
    CPPUNIT_TEST_SUITE_END();

public:
    void aScriptsRefusalIsRuleRejectedNamingTheRule()
    {
        NotesWithRules d(kNoPasswords);
        auto refused = d.note("Wi-Fi Password is clinic123");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 422, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), refused.errorCode());
        auto error = refused.json()->getObject("error");
        CPPUNIT_ASSERT_EQUAL(
            std::string("notes must not hold passwords"), error->getValue<std::string>("message"));
        auto details = error->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("before_note"), details->getValue<std::string>("rule"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("notes must not hold passwords"), details->getValue<std::string>("reason"));
        // false without a reason still names the rule, with the default reason.
        auto tooLong = d.note(std::string(101, 'x'));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tooLong.body, 422, tooLong.status);
        CPPUNIT_ASSERT_EQUAL(std::string("not allowed by the clinic's rules"),
            tooLong.json()->getObject("error")->getObject("details")->getValue<std::string>("reason"));
        // A note the script allows is stored, and it is the first: the refused ones left nothing.
        auto kept = d.note("Call Mrs. Ionescu about the lab results");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(kept.body, 201, kept.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), kept.json()->getValue<Poco::Int64>("id"));
    }

    void aScriptWithoutTheHookAllowsEveryNote()
    {
        NotesWithRules d("policy = {min_notice_minutes = 60}\n");
        auto kept = d.note("Wi-Fi Password is clinic123");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(kept.body, 201, kept.status);
    }

    void aScriptErrorRefusesTheNote()
    {
        NotesWithRules d("function before_note(ctx)\n  return ctx.missing.field\nend\n");
        auto refused = d.note("an ordinary note");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 422, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), refused.errorCode());
        auto details = refused.json()->getObject("error")->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("before_note"), details->getValue<std::string>("rule"));
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"), details->getValue<std::string>("reason"));
        // The script's own error goes to the log, not to the client.
        CPPUNIT_ASSERT_MESSAGE(refused.body, !contains(refused.body, "site.lua"));
        CPPUNIT_ASSERT_MESSAGE(d.daemon->log(), eventually([&] {
            return contains(
                d.daemon->log(), "before_note rule failed: site.lua:2: attempt to index a nil value");
        }));
    }

    void theHookIsListedAsTheExamplePlugins()
    {
        NotesWithRules d(kNoPasswords);
        auto r = d.daemon->adminClient().get("/api/v1/system/rules");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto declared = r.json()->getArray("declared");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::size_t(1), declared->size());
        auto hook = declared->getObject(0);
        CPPUNIT_ASSERT_EQUAL(std::string("before_note"), hook->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(std::string("example"), hook->getValue<std::string>("plugin"));
        CPPUNIT_ASSERT_EQUAL(std::string("fail_closed"), hook->getValue<std::string>("on_failure"));
        CPPUNIT_ASSERT(hook->getValue<bool>("defined"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), r.json()->getArray("warnings")->size());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ExampleRulesTest);
