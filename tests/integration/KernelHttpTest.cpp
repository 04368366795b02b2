// The kernel's own endpoints through the real clinicd binary: readiness and
// what makes it fail, the clock, and the plugin list.

#include <cppunit/extensions/HelperMacros.h>

#include <cmath>
#include <cstdio>
#include <regex>
#include <thread>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/File.h>
#include <Poco/Timestamp.h>

#include "IntegrationSupport.h"
#include "MariaDbServer.h"

using namespace clinic::test;

namespace {

/// Seconds since the epoch of an RFC 3339 UTC instant as /api/v1/time gives it.
double epochSeconds(const std::string& instant)
{
    static const std::regex rfc3339("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");
    CPPUNIT_ASSERT_MESSAGE(instant, std::regex_match(instant, rfc3339));
    int tz = 0;
    Poco::DateTime dt = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, instant, tz);
    CPPUNIT_ASSERT_EQUAL(0, tz);
    return static_cast<double>(dt.timestamp().epochMicroseconds()) / 1e6;
}

Poco::JSON::Object::Ptr pluginNamed(const HttpResult& r, const std::string& name)
{
    auto items = r.json()->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto p = items->getObject(static_cast<unsigned>(i));
        if (p->getValue<std::string>("name") == name)
            return p;
    }
    return nullptr;
}

std::string failing(const HttpResult& r)
{
    return r.json()->getObject("error")->getObject("details")->getValue<std::string>("failing");
}

} // namespace

class KernelHttpTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(KernelHttpTest);
    CPPUNIT_TEST(readyAnswers200ListingEveryCheck);
    CPPUNIT_TEST(readyIs503NamingTheDatabaseWhenItGoesAwayAndLiveStays200);
    CPPUNIT_TEST(timeIsAnRfc3339UtcInstantNearTheRealClock);
    CPPUNIT_TEST(timeStartsAtTheConfiguredClockStart);
    CPPUNIT_TEST(pluginListShowsExampleStartedWithItsVersion);
    CPPUNIT_TEST(missingPluginIsFailedNamingItsFileWhileTheRestServes);
    CPPUNIT_TEST(responsesCarrySecurityHeaders);
    CPPUNIT_TEST_SUITE_END();

public:
    void readyAnswers200ListingEveryCheck()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);
        auto client = d.client();
        auto r = client.get("/health/ready");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("ready"), r.json()->getValue<std::string>("status"));
        auto checks = r.json()->getObject("checks");
        for (const char* name : {"database", "plugins", "example.notes"}) {
            CPPUNIT_ASSERT_MESSAGE(std::string(name) + " missing: " + r.body, checks->getObject(name));
            CPPUNIT_ASSERT_MESSAGE(r.body, checks->getObject(name)->getValue<bool>("ok"));
        }
    }

    void readyIs503NamingTheDatabaseWhenItGoesAwayAndLiveStays200()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);
        auto client = d.client();
        CPPUNIT_ASSERT_EQUAL(200, client.get("/health/ready").status);

        if (backend() == "sqlite") {
            const std::string file = d.dbUrl().substr(7);
            for (const char* suffix : {"", "-wal", "-shm"})
                std::remove((file + suffix).c_str());
        } else {
            MariaDbServer::shared().stop();
        }
        auto r = client.get("/health/ready", {{"X-Request-ID", "ready-probe"}});
        assertEnvelope(r, 503, "NOT_READY");
        CPPUNIT_ASSERT_MESSAGE(r.body, failing(r).find("database") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.body, failing(r).find("plugins") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(r.body,
            !r.json()
                 ->getObject("error")
                 ->getObject("details")
                 ->getObject("checks")
                 ->getObject("database")
                 ->getValue<bool>("ok"));
        CPPUNIT_ASSERT_EQUAL(200, client.get("/health/live").status);
        // The endpoint is public: it names the failing check, the reason
        // (paths, hosts, users) goes to the log only.
        const std::string secret = backend() == "sqlite" ? d.dbUrl().substr(7) : std::string("127.0.0.1");
        CPPUNIT_ASSERT_MESSAGE(r.body, r.body.find(secret) == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(d.log(),
            eventually([&] { return d.log().find("readiness check database fails") != std::string::npos; }));

        if (backend() == "mariadb") {
            // The pool must drop its dead sessions and reconnect by itself.
            MariaDbServer::shared().restart();
            CPPUNIT_ASSERT_MESSAGE(d.log(),
                eventually(
                    [&] { return client.get("/health/ready").status == 200; }, std::chrono::seconds(15)));
            auto note = client.post("/api/v1/example/notes", "{\"text\":\"after restart\"}");
            CPPUNIT_ASSERT_EQUAL_MESSAGE(note.body, 201, note.status);
            auto back = client.get("/api/v1/example/notes/" + note.json()->getValue<std::string>("id"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(back.body, 200, back.status);
        }
    }

    void timeIsAnRfc3339UtcInstantNearTheRealClock()
    {
        Daemon d;
        auto client = d.client();
        auto r = client.get("/api/v1/time");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const double daemon = epochSeconds(r.json()->getValue<std::string>("now"));
        const double mine = static_cast<double>(Poco::Timestamp().epochMicroseconds()) / 1e6;
        CPPUNIT_ASSERT_MESSAGE(r.body, std::abs(daemon - mine) < 5.0);
    }

    void timeStartsAtTheConfiguredClockStart()
    {
        Daemon::Options o;
        o.config["clock.start"] = "2027-03-28T00:30:00Z";
        Daemon d(o);
        auto client = d.client();
        auto r = client.get("/api/v1/time");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const double start = epochSeconds("2027-03-28T00:30:00Z");
        const double now = epochSeconds(r.json()->getValue<std::string>("now"));
        CPPUNIT_ASSERT_MESSAGE(r.body, now >= start && now < start + 30.0);
        // ... and runs forward from there.
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        const double later = epochSeconds(client.get("/api/v1/time").json()->getValue<std::string>("now"));
        CPPUNIT_ASSERT(later - now >= 1.0 && later - now < 10.0);
    }

    void pluginListShowsExampleStartedWithItsVersion()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example";
        Daemon d(o);
        auto client = d.adminClient();
        auto r = client.get("/api/v1/system/plugins");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto example = pluginNamed(r, "example");
        CPPUNIT_ASSERT_MESSAGE(r.body, example);
        CPPUNIT_ASSERT_EQUAL(std::string("started"), example->getValue<std::string>("state"));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0.0"), example->getValue<std::string>("version"));
        CPPUNIT_ASSERT_MESSAGE(r.body, !example->has("error"));
    }

    void missingPluginIsFailedNamingItsFileWhileTheRestServes()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "example,nosuch";
        Daemon d(o);
        auto client = d.adminClient();
        auto r = client.get("/api/v1/system/plugins");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto nosuch = pluginNamed(r, "nosuch");
        CPPUNIT_ASSERT_MESSAGE(r.body, nosuch);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), nosuch->getValue<std::string>("state"));
        CPPUNIT_ASSERT_MESSAGE(
            r.body, nosuch->getValue<std::string>("error").find("clinic_nosuch.so") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(
            std::string("started"), pluginNamed(r, "example")->getValue<std::string>("state"));

        auto ready = client.get("/health/ready");
        assertEnvelope(ready, 503, "NOT_READY");
        CPPUNIT_ASSERT_MESSAGE(ready.body, failing(ready).find("plugins") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(ready.body, failing(ready).find("database") == std::string::npos);

        // The plugins that did start serve as usual.
        auto note = client.post("/api/v1/example/notes", "{\"text\":\"still here\"}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(note.body, 201, note.status);
        CPPUNIT_ASSERT_EQUAL(200, client.get("/health/live").status);
    }

    void responsesCarrySecurityHeaders()
    {
        Daemon d;
        auto client = d.client();
        for (const std::string path : {"/health/live", "/api/v1/nothing"}) {
            auto r = client.get(path);
            CPPUNIT_ASSERT_EQUAL(std::string("nosniff"), r.header("X-Content-Type-Options"));
            CPPUNIT_ASSERT_EQUAL(std::string("no-store"), r.header("Cache-Control"));
            // Plain HTTP must not claim HSTS: browsers ignore it there and it misleads.
            CPPUNIT_ASSERT_EQUAL(std::string(), r.header("Strict-Transport-Security"));
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KernelHttpTest);
