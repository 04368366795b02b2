// Settings: environment names, the order of the configuration layers, and
// validate() naming the key of every bad value.

#include <algorithm>
#include <map>
#include <stdexcept>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Exception.h>

#include "TestSupport.h"
#include "config/Settings.h"

using clinic::Settings;
using clinic::test::TempDir;
using clinic::test::writeFile;

namespace {

using Env = std::map<std::string, std::string>;

/// The layered configuration from a file (if any text), an environment and a
/// command line; never the process environment.
Poco::AutoPtr<Poco::Util::LayeredConfiguration> load(
    TempDir& dir, const std::string& fileText, const Env& env, const Env& commandLine = {})
{
    std::string file;
    if (!fileText.empty()) {
        file = dir.file("clinicd.properties");
        writeFile(file, fileText);
    }
    return Settings::load(file, commandLine, &env);
}

/// validate() on the defaults with these command-line values over them.
std::vector<std::string> problemsWith(const Env& values)
{
    const Env noEnv;
    return Settings::validate(*Settings::load("", values, &noEnv));
}

std::string joined(const std::vector<std::string>& problems)
{
    std::string out;
    for (const auto& p : problems)
        out += p + "\n";
    return out;
}

/// True if some problem starts with "key:" and contains phrase.
bool names(const std::vector<std::string>& problems, const std::string& key, const std::string& phrase)
{
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
        return p.rfind(key + ":", 0) == 0 && p.find(phrase) != std::string::npos;
    });
}

} // namespace

class SettingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SettingsTest);
    CPPUNIT_TEST(envNameIsUpperCaseWithUnderscores);
    CPPUNIT_TEST(everyCatalogueKeyHasADefault);
    CPPUNIT_TEST(builtInDefaultsApplyWithNoOtherLayer);
    CPPUNIT_TEST(fileBeatsDefaults);
    CPPUNIT_TEST(environmentBeatsFile);
    CPPUNIT_TEST(commandLineBeatsEnvironment);
    CPPUNIT_TEST(unknownClinicdVariablesMapToDottedKeys);
    CPPUNIT_TEST(variablesWithoutThePrefixAreIgnored);
    CPPUNIT_TEST(missingConfigFileIsAnError);
    CPPUNIT_TEST(defaultsValidateClean);
    CPPUNIT_TEST(badIntegersNameTheirKey);
    CPPUNIT_TEST(badChoicesNameTheirKeyAndTheChoices);
    CPPUNIT_TEST(badDbUrlNamesDbUrlWithoutThePassword);
    CPPUNIT_TEST(halfATlsPairNamesTheMissingKey);
    CPPUNIT_TEST(unreadableTlsFileNamesItsKey);
    CPPUNIT_TEST(pluginsLoadAcceptsOnlyPluginNames);
    CPPUNIT_TEST(everyProblemIsReportedNotJustTheFirst);
    CPPUNIT_TEST(parseDefineSplitsAtTheFirstEquals);
    CPPUNIT_TEST_SUITE_END();

public:
    void envNameIsUpperCaseWithUnderscores()
    {
        CPPUNIT_ASSERT_EQUAL(std::string("CLINICD_HTTP_PORT"), Settings::envName("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("CLINICD_DB_POOL_MAX"), Settings::envName("db.pool.max"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("CLINICD_HTTP_MAX_BODY_BYTES"), Settings::envName("http.max_body_bytes"));
    }

    void everyCatalogueKeyHasADefault()
    {
        TempDir dir;
        auto config = load(dir, "", {});
        for (const auto& spec : Settings::catalogue())
            CPPUNIT_ASSERT_MESSAGE(spec.key, config->has(spec.key));
    }

    void builtInDefaultsApplyWithNoOtherLayer()
    {
        TempDir dir;
        auto config = load(dir, "", {});
        CPPUNIT_ASSERT_EQUAL(8080, config->getInt("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), config->getString("http.address"));
        // db.url refers to data.dir and follows it.
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite:/var/lib/clinicd/clinicd.db"), config->getString("db.url"));
    }

    void fileBeatsDefaults()
    {
        TempDir dir;
        auto config = load(dir, "http.port = 9001\ndata.dir = /srv/clinic\n", {});
        CPPUNIT_ASSERT_EQUAL(9001, config->getInt("http.port"));
        CPPUNIT_ASSERT_EQUAL(std::string("sqlite:/srv/clinic/clinicd.db"), config->getString("db.url"));
        CPPUNIT_ASSERT_EQUAL(16, config->getInt("http.threads"));
    }

    void environmentBeatsFile()
    {
        TempDir dir;
        auto config = load(dir, "http.port = 9001\nhttp.threads = 4\n", {{"CLINICD_HTTP_PORT", "9002"}});
        CPPUNIT_ASSERT_EQUAL(9002, config->getInt("http.port"));
        CPPUNIT_ASSERT_EQUAL(4, config->getInt("http.threads"));
        // A key with an underscore maps exactly through the catalogue.
        auto body = load(dir, "", {{"CLINICD_HTTP_MAX_BODY_BYTES", "2048"}});
        CPPUNIT_ASSERT_EQUAL(2048, body->getInt("http.max_body_bytes"));
    }

    void commandLineBeatsEnvironment()
    {
        TempDir dir;
        auto config
            = load(dir, "http.port = 9001\n", {{"CLINICD_HTTP_PORT", "9002"}}, {{"http.port", "9003"}});
        CPPUNIT_ASSERT_EQUAL(9003, config->getInt("http.port"));
    }

    void unknownClinicdVariablesMapToDottedKeys()
    {
        TempDir dir;
        auto config
            = load(dir, "", {{"CLINICD_SCHEDULING_SLOT_MINUTES", "15"}, {"CLINICD_CONFIG", "/etc/x"}});
        CPPUNIT_ASSERT_EQUAL(std::string("15"), config->getString("scheduling.slot.minutes"));
        CPPUNIT_ASSERT(!config->has("config")); // CLINICD_CONFIG names the file, it is no key
    }

    void variablesWithoutThePrefixAreIgnored()
    {
        TempDir dir;
        auto config = load(dir, "", {{"HTTP_PORT", "1"}, {"HOME", "/root"}, {"clinicd_http_port", "2"}});
        CPPUNIT_ASSERT_EQUAL(8080, config->getInt("http.port"));
        CPPUNIT_ASSERT(!config->has("home"));
    }

    void missingConfigFileIsAnError()
    {
        TempDir dir;
        const Env noEnv;
        CPPUNIT_ASSERT_THROW(
            Settings::load(dir.file("absent.properties"), {}, &noEnv), Poco::FileNotFoundException);
    }

    void defaultsValidateClean()
    {
        auto problems = problemsWith({});
        CPPUNIT_ASSERT_MESSAGE(joined(problems), problems.empty());
    }

    void badIntegersNameTheirKey()
    {
        CPPUNIT_ASSERT(names(problemsWith({{"http.port", "eighty"}}), "http.port", "is not a whole number"));
        CPPUNIT_ASSERT(names(problemsWith({{"http.port", "70000"}}), "http.port", "from 0 to 65535"));
        CPPUNIT_ASSERT(names(problemsWith({{"http.port", "80.5"}}), "http.port", "is not a whole number"));
        CPPUNIT_ASSERT(names(problemsWith({{"http.port", ""}}), "http.port", "is not a whole number"));
        CPPUNIT_ASSERT(names(problemsWith({{"http.threads", "0"}}), "http.threads", "from 1 to 1024"));
        CPPUNIT_ASSERT(names(problemsWith({{"db.pool.max", "-1"}}), "db.pool.max", "\"-1\""));
    }

    void badChoicesNameTheirKeyAndTheChoices()
    {
        CPPUNIT_ASSERT(
            names(problemsWith({{"log.level", "loud"}}), "log.level", "is not one of fatal, critical"));
        CPPUNIT_ASSERT(
            names(problemsWith({{"db.synchronous", "OFF"}}), "db.synchronous", "FULL, NORMAL, EXTRA"));
        // Choices are exact: case matters.
        CPPUNIT_ASSERT(names(problemsWith({{"log.level", "DEBUG"}}), "log.level", "\"DEBUG\""));
    }

    void badDbUrlNamesDbUrlWithoutThePassword()
    {
        auto scheme = problemsWith({{"db.url", "postgres://clinic:topsecret@db/clinicd"}});
        CPPUNIT_ASSERT_MESSAGE(joined(scheme), names(scheme, "db.url", "neither sqlite:"));
        CPPUNIT_ASSERT_MESSAGE(joined(scheme), joined(scheme).find("topsecret") == std::string::npos);
        auto noDb = problemsWith({{"db.url", "mysql://clinic:topsecret@db:3306/"}});
        CPPUNIT_ASSERT_MESSAGE(joined(noDb), names(noDb, "db.url", "names no database"));
        CPPUNIT_ASSERT_MESSAGE(joined(noDb), joined(noDb).find("topsecret") == std::string::npos);
    }

    void halfATlsPairNamesTheMissingKey()
    {
        TempDir dir;
        writeFile(dir.file("cert.pem"), "not checked here");
        auto certOnly = problemsWith({{"http.tls.cert", dir.file("cert.pem")}});
        CPPUNIT_ASSERT_MESSAGE(joined(certOnly), names(certOnly, "http.tls.key", "needs both"));
        writeFile(dir.file("key.pem"), "not checked here");
        auto keyOnly = problemsWith({{"http.tls.key", dir.file("key.pem")}});
        CPPUNIT_ASSERT_MESSAGE(joined(keyOnly), names(keyOnly, "http.tls.cert", "needs both"));
        auto both
            = problemsWith({{"http.tls.cert", dir.file("cert.pem")}, {"http.tls.key", dir.file("key.pem")}});
        CPPUNIT_ASSERT_MESSAGE(joined(both), both.empty());
    }

    void unreadableTlsFileNamesItsKey()
    {
        TempDir dir;
        writeFile(dir.file("key.pem"), "not checked here");
        auto problems = problemsWith(
            {{"http.tls.cert", dir.file("absent.pem")}, {"http.tls.key", dir.file("key.pem")}});
        CPPUNIT_ASSERT_MESSAGE(joined(problems), names(problems, "http.tls.cert", "cannot read"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), problems.size());
    }

    void pluginsLoadAcceptsOnlyPluginNames()
    {
        auto good = problemsWith({{"plugins.load", "example, scheduling,records_2"}});
        CPPUNIT_ASSERT_MESSAGE(joined(good), good.empty());
        for (const std::string bad : {"../example", "/etc/clinic_x", "sub/x", "Example", "x.so", "a-b"}) {
            auto problems = problemsWith({{"plugins.load", "example," + bad}});
            CPPUNIT_ASSERT_MESSAGE(
                bad + ": " + joined(problems), names(problems, "plugins.load", "is not a plugin name"));
        }
    }

    void everyProblemIsReportedNotJustTheFirst()
    {
        auto problems = problemsWith({{"http.port", "x"}, {"log.level", "x"}, {"db.url", "x"}});
        CPPUNIT_ASSERT_MESSAGE(joined(problems), names(problems, "http.port", ""));
        CPPUNIT_ASSERT_MESSAGE(joined(problems), names(problems, "log.level", ""));
        CPPUNIT_ASSERT_MESSAGE(joined(problems), names(problems, "db.url", ""));
    }

    void parseDefineSplitsAtTheFirstEquals()
    {
        auto kv = Settings::parseDefine("db.url=mysql://u:a=b@h/d");
        CPPUNIT_ASSERT_EQUAL(std::string("db.url"), kv.first);
        CPPUNIT_ASSERT_EQUAL(std::string("mysql://u:a=b@h/d"), kv.second);
        CPPUNIT_ASSERT_EQUAL(std::string(""), Settings::parseDefine("plugins.load=").second);
        CPPUNIT_ASSERT_THROW(Settings::parseDefine("http.port"), std::invalid_argument);
        CPPUNIT_ASSERT_THROW(Settings::parseDefine("=8080"), std::invalid_argument);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);
