// Configuration as an operator meets it: the layers (file < CLINICD_*
// environment < -D on the command line) and clinicd's command line,
// --check-config above all, which must name the key that is wrong.

#include <cppunit/extensions/HelperMacros.h>

#include "IntegrationSupport.h"

using namespace clinic::test;

namespace {

/// Waits for /health/live on port; false if the daemon exits or time runs out.
bool livesOn(Daemon& d, int port)
{
    HttpClient c("127.0.0.1", port);
    c.setTimeout(2);
    return eventually(
               [&] {
                   if (!d.running())
                       return true; // checked by the caller through running()
                   try {
                       return c.get("/health/live").status == 200;
                   } catch (const std::exception&) {
                       return false;
                   }
               },
               std::chrono::seconds(20))
        && d.running();
}

/// A config file that passes --check-config on this backend.
std::string goodConfig(const TempDir& dir, const std::map<std::string, std::string>& overrides = {})
{
    std::map<std::string, std::string> keys = {
        {"http.address", "127.0.0.1"},
        {"http.port", std::to_string(freePort())},
        {"data.dir", dir.file("data")},
        {"db.url", freshDatabaseUrl(dir.path())},
        {"plugins.dir", pluginDir()},
        {"plugins.load", "example"},
        {"log.level", "information"},
    };
    for (const auto& [k, v] : overrides)
        keys[k] = v;
    std::string text = "# written by ConfigLayersTest\n";
    for (const auto& [k, v] : keys)
        text += k + " = " + v + "\n";
    const std::string file = dir.file("clinicd.properties");
    writeFile(file, text);
    return file;
}

ProcessResult checkConfig(const std::string& file, const std::vector<std::string>& extra = {})
{
    std::vector<std::string> args = {"--check-config", "--config=" + file};
    args.insert(args.end(), extra.begin(), extra.end());
    return runProcess(binary("clinicd"), args, {}, "", 60);
}

void assertCheckFailsNaming(const ProcessResult& r, const std::string& what)
{
    const std::string all = r.out + r.err;
    CPPUNIT_ASSERT_MESSAGE(all, r.exitCode != 0);
    CPPUNIT_ASSERT_MESSAGE(what + " not named in:\n" + all, all.find(what) != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(all, all.find("configuration ok") == std::string::npos);
}

} // namespace

class ConfigLayersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConfigLayersTest);
    CPPUNIT_TEST(environmentPortWinsOverTheConfigFile);
    CPPUNIT_TEST(commandLineDefineWinsOverEnvironmentAndFile);
    CPPUNIT_TEST(checkConfigAcceptsAGoodFile);
    CPPUNIT_TEST(checkConfigRejectsANonNumericPortNamingHttpPort);
    CPPUNIT_TEST(checkConfigRejectsAnUnknownDatabaseSchemeNamingDbUrl);
    CPPUNIT_TEST(checkConfigRejectsAMissingCertificateNamingHttpTlsCert);
    CPPUNIT_TEST(checkConfigRejectsAnUnknownPluginNamingIt);
    CPPUNIT_TEST(checkConfigSeesTheEnvironmentAndCommandLineLayers);
    CPPUNIT_TEST(versionAndHelpExitZero);
    CPPUNIT_TEST(unknownOptionExitsNonZero);
    CPPUNIT_TEST(daemonRefusesToStartOnABadValue);
    CPPUNIT_TEST_SUITE_END();

public:
    void environmentPortWinsOverTheConfigFile()
    {
        const int filePort = freePort();
        const int envPort = freePort();
        Daemon::Options o;
        o.config["http.port"] = std::to_string(filePort);
        o.env["CLINICD_HTTP_PORT"] = std::to_string(envPort);
        o.waitLive = false;
        Daemon d(o);
        CPPUNIT_ASSERT_MESSAGE(d.log(), livesOn(d, envPort));
        CPPUNIT_ASSERT(!acceptsConnections(filePort));
    }

    void commandLineDefineWinsOverEnvironmentAndFile()
    {
        const int filePort = freePort();
        const int envPort = freePort();
        const int cliPort = freePort();
        Daemon::Options o;
        o.config["http.port"] = std::to_string(filePort);
        o.env["CLINICD_HTTP_PORT"] = std::to_string(envPort);
        o.args = {"-D", "http.port=" + std::to_string(cliPort)};
        o.waitLive = false;
        Daemon d(o);
        CPPUNIT_ASSERT_MESSAGE(d.log(), livesOn(d, cliPort));
        CPPUNIT_ASSERT(!acceptsConnections(envPort));
        CPPUNIT_ASSERT(!acceptsConnections(filePort));
    }

    void checkConfigAcceptsAGoodFile()
    {
        TempDir dir;
        auto r = checkConfig(goodConfig(dir));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.exitCode);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("configuration ok") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.out, r.out.find("plugin example") != std::string::npos);
    }

    void checkConfigRejectsANonNumericPortNamingHttpPort()
    {
        TempDir dir;
        assertCheckFailsNaming(checkConfig(goodConfig(dir, {{"http.port", "abc"}})), "http.port");
        assertCheckFailsNaming(checkConfig(goodConfig(dir, {{"http.port", "70000"}})), "http.port");
    }

    void checkConfigRejectsAnUnknownDatabaseSchemeNamingDbUrl()
    {
        TempDir dir;
        assertCheckFailsNaming(checkConfig(goodConfig(dir, {{"db.url", "postgres://x"}})), "db.url");
    }

    void checkConfigRejectsAMissingCertificateNamingHttpTlsCert()
    {
        TempDir dir;
        writeFile(dir.file("key.pem"), "not really a key, but present\n");
        auto r = checkConfig(goodConfig(
            dir, {{"http.tls.cert", dir.file("missing-cert.pem")}, {"http.tls.key", dir.file("key.pem")}}));
        assertCheckFailsNaming(r, "http.tls.cert");
        assertCheckFailsNaming(r, "missing-cert.pem");
    }

    void checkConfigRejectsAnUnknownPluginNamingIt()
    {
        TempDir dir;
        assertCheckFailsNaming(checkConfig(goodConfig(dir, {{"plugins.load", "example,nosuch"}})), "nosuch");
    }

    void checkConfigSeesTheEnvironmentAndCommandLineLayers()
    {
        // --check-config reads the same layers the daemon does: a bad value
        // in a higher layer is caught, and a good one there fixes a bad file.
        TempDir dir;
        const std::string good = goodConfig(dir);
        auto env = runProcess(binary("clinicd"), {"--check-config", "--config=" + good},
            {{"CLINICD_HTTP_PORT", "not-a-port"}}, "", 60);
        assertCheckFailsNaming(env, "http.port");
        assertCheckFailsNaming(checkConfig(good, {"-D", "http.threads=0"}), "http.threads");
        TempDir other;
        const std::string bad = goodConfig(other, {{"http.port", "abc"}});
        auto fixed = checkConfig(bad, {"-D", "http.port=8081"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fixed.out + fixed.err, 0, fixed.exitCode);
    }

    void versionAndHelpExitZero()
    {
        auto v = runProcess(binary("clinicd"), {"--version"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(v.out + v.err, 0, v.exitCode);
        CPPUNIT_ASSERT_MESSAGE(v.out, v.out.find("clinicd") != std::string::npos);
        auto h = runProcess(binary("clinicd"), {"--help"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(h.out + h.err, 0, h.exitCode);
        for (const char* option : {"--config", "--check-config", "--version"})
            CPPUNIT_ASSERT_MESSAGE(h.out, h.out.find(option) != std::string::npos);
    }

    void unknownOptionExitsNonZero()
    {
        for (const std::string arg : {"--no-such-option", "-Q", "stray-argument"}) {
            auto r = runProcess(binary("clinicd"), {arg}, {}, "", 20);
            CPPUNIT_ASSERT_MESSAGE(arg + ": " + r.out + r.err, r.exitCode != 0 && r.exitCode < 128);
        }
    }

    void daemonRefusesToStartOnABadValue()
    {
        // Not only --check-config: the daemon itself exits non-zero naming the key.
        TempDir dir;
        auto r = runProcess(
            binary("clinicd"), {"--config=" + goodConfig(dir, {{"http.port", "abc"}})}, {}, "", 30);
        CPPUNIT_ASSERT_MESSAGE(r.out + r.err, r.exitCode != 0 && r.exitCode < 128);
        CPPUNIT_ASSERT_MESSAGE(r.out + r.err, (r.out + r.err).find("http.port") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLayersTest);
