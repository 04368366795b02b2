// Deliberately broken plugins loaded by the real clinicd: each is refused or
// failed with a message naming it and what is wrong, while the daemon keeps
// serving the example plugin, reports not-ready, and --check-config fails.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>

#include "PluginChecks.h"
#include "TestSupport.h"

using namespace clinic::test;

namespace {

Daemon::Options withPlugins(const std::string& load)
{
    Daemon::Options options;
    options.config["plugins.load"] = load;
    return options;
}

void assertCheckConfigNames(const ProcessResult& check, const std::string& plugin, const std::string& phrase)
{
    const std::string output = check.out + check.err;
    CPPUNIT_ASSERT_MESSAGE("--check-config should fail:\n" + output, check.exitCode != 0);
    const auto at = output.find("plugin " + plugin + ": ");
    CPPUNIT_ASSERT_MESSAGE(
        "--check-config does not name " + plugin + ":\n" + output, at != std::string::npos);
    const auto line = output.substr(at, output.find('\n', at) - at);
    CPPUNIT_ASSERT_MESSAGE(
        "--check-config on " + plugin + " lacks \"" + phrase + "\": " + line, contains(line, phrase));
}

} // namespace

class BrokenPluginTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BrokenPluginTest);
    CPPUNIT_TEST(libraryAndAbiFailuresAreNamedAndTheRestServes);
    CPPUNIT_TEST(wrongApiVersionIsRefusedBeforeClassLoaderRunsTheLibrary);
    CPPUNIT_TEST(dependencyFailuresNameTheMissingFailedOrCyclicPlugin);
    CPPUNIT_TEST(startFailuresAreNamedAndNothingTheyRegisteredIsServed);
    CPPUNIT_TEST(pluginsStartInDependencyOrderWhateverTheLoadOrder);
    CPPUNIT_TEST(pathsInPluginsLoadAreAConfigurationError);
    CPPUNIT_TEST_SUITE_END();

public:
    void libraryAndAbiFailuresAreNamedAndTheRestServes()
    {
        Daemon d(withPlugins("example,broken_wrong_api,broken_no_version,broken_no_manifest,"
                             "broken_two_classes,broken_misnamed,broken_ctor_throws,broken_unresolved,"
                             "broken_absent"));
        auto client = d.adminClient();
        assertStillServes(client);

        const std::vector<std::pair<std::string, std::string>> expected = {
            {"broken_wrong_api", "built for plugin API 999"},
            {"broken_no_version", "does not export clinic_plugin_api_version"},
            {"broken_no_manifest", "No manifest"},
            {"broken_two_classes", "exactly one plugin class, it has 2"},
            {"broken_misnamed", "calls itself someone_else"},
            {"broken_ctor_throws", "constructor refuses to build"},
            {"broken_unresolved", "undefined symbol: clinic_no_such_symbol"},
            {"broken_absent", "no plugin file"},
        };
        std::vector<std::string> names;
        for (const auto& [name, phrase] : expected) {
            assertPluginFailed(client, name, phrase);
            names.push_back(name);
        }
        // Errors about a library name its file, so an operator finds it.
        for (const char* name :
            {"broken_no_version", "broken_no_manifest", "broken_unresolved", "broken_absent"})
            assertPluginFailed(client, name, std::string("clinic_") + name + ".so");
        assertNotReadyBecauseOf(client, names);

        auto check = checkConfig(d.configFile());
        for (const auto& [name, phrase] : expected)
            assertCheckConfigNames(check, name, phrase);
        CPPUNIT_ASSERT_MESSAGE(check.out, contains(check.out, "plugin example 1.0.0: ok"));
    }

    void wrongApiVersionIsRefusedBeforeClassLoaderRunsTheLibrary()
    {
        TempDir dir;
        auto options = withPlugins("example,broken_wrong_api,broken_misnamed");
        options.env["BROKEN_PLUGIN_INIT_MARKER"] = dir.file("initialised");
        Daemon d(options);
        auto client = d.adminClient();
        assertPluginFailed(client, "broken_wrong_api", "plugin API 999");
        assertPluginFailed(client, "broken_misnamed", "someone_else");
        // broken_misnamed passed the ABI check, so ClassLoader initialised it:
        // the marker works. broken_wrong_api must never have got that far.
        const std::string marker
            = Poco::File(dir.file("initialised")).exists() ? readFile(dir.file("initialised")) : "";
        CPPUNIT_ASSERT_MESSAGE(marker, contains(marker, "broken_misnamed"));
        CPPUNIT_ASSERT_MESSAGE(marker, !contains(marker, "broken_wrong_api"));
    }

    void dependencyFailuresNameTheMissingFailedOrCyclicPlugin()
    {
        Daemon d(withPlugins("example,broken_missing_dep,broken_cycle_a,broken_cycle_b,broken_needs_failed,"
                             "broken_ctor_throws"));
        auto client = d.adminClient();
        assertStillServes(client);

        const std::vector<std::pair<std::string, std::string>> expected = {
            {"broken_missing_dep", "requires plugin absent_plugin, which is not in plugins.load"},
            {"broken_cycle_a", "dependency cycle: broken_cycle_a -> broken_cycle_b -> broken_cycle_a"},
            {"broken_cycle_b", "dependency cycle: broken_cycle_a -> broken_cycle_b -> broken_cycle_a"},
            {"broken_needs_failed", "requires plugin broken_ctor_throws, which failed"},
            {"broken_ctor_throws", "constructor refuses to build"},
        };
        std::vector<std::string> names;
        for (const auto& [name, phrase] : expected) {
            assertPluginFailed(client, name, phrase);
            names.push_back(name);
        }
        auto deps = pluginEntry(client, "broken_missing_dep")->getArray("requires");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), deps->size());
        CPPUNIT_ASSERT_EQUAL(std::string("absent_plugin"), deps->getElement<std::string>(0));
        assertNotReadyBecauseOf(client, names);

        auto check = checkConfig(d.configFile());
        for (const auto& [name, phrase] : expected)
            assertCheckConfigNames(check, name, phrase);
    }

    void startFailuresAreNamedAndNothingTheyRegisteredIsServed()
    {
        Daemon d(withPlugins("example,broken_start_throws,broken_shadow_route,broken_needs_start_throws"));
        auto client = d.adminClient();
        assertStillServes(client); // example's GET /api/v1/example/notes/{id} is still example's

        assertPluginFailed(client, "broken_start_throws", "start threw");
        assertPluginFailed(client, "broken_start_throws", "start gives up after registering a route");
        assertPluginFailed(client, "broken_shadow_route",
            "route GET /api/v1/example/notes/{id} is already declared by example");
        assertPluginFailed(
            client, "broken_needs_start_throws", "requires plugin broken_start_throws, which failed");
        assertNotReadyBecauseOf(
            client, {"broken_start_throws", "broken_shadow_route", "broken_needs_start_throws"});

        for (const char* path :
            {"/api/v1/broken/start-throws", "/api/v1/broken/shadow", "/api/v1/broken/needs-start-throws"}) {
            auto r = client.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(path) + ": " + r.body, 404, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("NOT_FOUND"), r.errorCode());
        }
        // Nothing a failed plugin staged reaches the kernel: not its readiness check either.
        auto ready = client.get("/health/ready");
        auto checks = ready.json()->getObject("error")->getObject("details")->getObject("checks");
        CPPUNIT_ASSERT_MESSAGE(ready.body, !checks->has("broken_start_throws.never"));
        CPPUNIT_ASSERT_MESSAGE(ready.body, checks->has("example.notes"));
    }

    void pluginsStartInDependencyOrderWhateverTheLoadOrder()
    {
        // The consumer is listed first and throws from start() unless the
        // provider's service already exists.
        Daemon d(withPlugins("startorder_consumer,example,startorder_provider"));
        auto client = d.adminClient();
        assertStillServes(client);
        assertPluginStarted(client, "startorder_provider");
        assertPluginStarted(client, "startorder_consumer");
        auto token = client.get("/api/v1/startorder/token");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(token.body, 200, token.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("startorder_provider"), token.json()->getValue<std::string>("published_by"));
        auto ready = client.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.body, 200, ready.status);

        auto check = checkConfig(d.configFile());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(check.out + check.err, 0, check.exitCode);
    }

    void pathsInPluginsLoadAreAConfigurationError()
    {
        TempDir dir;
        for (const std::string load : {"example,../example", "/etc/clinic_example", "example,sub/example"}) {
            const std::string config = dir.file("clinicd.properties");
            writeFile(config,
                "data.dir = " + dir.path() + "\ndb.url = sqlite:" + dir.file("clinicd.db")
                    + "\nplugins.dir = " + pluginDir() + "\nplugins.load = " + load
                    + "\nhttp.port = " + std::to_string(freePort()) + "\n");
            auto check = checkConfig(config);
            CPPUNIT_ASSERT_MESSAGE(load + ":\n" + check.out, check.exitCode != 0);
            CPPUNIT_ASSERT_MESSAGE(load + ":\n" + check.out, contains(check.out, "plugins.load"));
            CPPUNIT_ASSERT_MESSAGE(load + ":\n" + check.out, contains(check.out, "is not a plugin name"));
            // The daemon itself refuses to start on it, naming the key.
            auto serve = runProcess(binary("clinicd"), {"--config=" + config}, {}, "", 30);
            CPPUNIT_ASSERT_MESSAGE(load + ":\n" + serve.err, serve.exitCode != 0);
            CPPUNIT_ASSERT_MESSAGE(load + ":\n" + serve.err, contains(serve.err, "plugins.load"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BrokenPluginTest);
