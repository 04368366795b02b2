#pragma once

// What the broken-plugin suites ask a running clinicd about its plugins.

#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <cppunit/extensions/HelperMacros.h>

#include "TestSupport.h"

namespace clinic::test {

/// The entry for name in GET /api/v1/system/plugins; fails the test if absent.
inline Poco::JSON::Object::Ptr pluginEntry(HttpClient& client, const std::string& name)
{
    auto r = client.get("/api/v1/system/plugins");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto items = r.json()->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        if (item->getValue<std::string>("name") == name)
            return item;
    }
    CPPUNIT_FAIL("plugin " + name + " is not in the plugin list: " + r.body);
    return nullptr;
}

inline bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

/// Asserts the plugin list shows name failed with an error containing phrase.
inline void assertPluginFailed(HttpClient& client, const std::string& name, const std::string& phrase)
{
    auto entry = pluginEntry(client, name);
    const std::string state = entry->getValue<std::string>("state");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(name + " should be failed", std::string("failed"), state);
    const std::string error = entry->optValue<std::string>("error", "");
    CPPUNIT_ASSERT_MESSAGE(
        name + ": error should contain \"" + phrase + "\", it is \"" + error + "\"", contains(error, phrase));
}

inline void assertPluginStarted(HttpClient& client, const std::string& name)
{
    auto entry = pluginEntry(client, name);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": " + entry->optValue<std::string>("error", ""),
        std::string("started"), entry->getValue<std::string>("state"));
}

/// Asserts the daemon is alive and the example plugin still stores and reads notes.
inline void assertStillServes(HttpClient& client)
{
    auto live = client.get("/health/live");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(live.body, 200, live.status);
    assertPluginStarted(client, "example");
    auto created = client.post("/api/v1/example/notes", R"({"text":"still serving"})");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 201, created.status);
    const auto id = created.json()->getValue<Poco::Int64>("id");
    auto read = client.get("/api/v1/example/notes/" + std::to_string(id));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(read.body, 200, read.status);
    CPPUNIT_ASSERT_EQUAL(std::string("still serving"), read.json()->getValue<std::string>("text"));
}

/// Asserts /health/ready is 503 and names the plugins check, whose detail
/// names every plugin in failed.
inline void assertNotReadyBecauseOf(HttpClient& client, const std::vector<std::string>& failed)
{
    auto r = client.get("/health/ready");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 503, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("NOT_READY"), r.errorCode());
    auto details = r.json()->getObject("error")->getObject("details");
    CPPUNIT_ASSERT_MESSAGE(r.body, contains(details->getValue<std::string>("failing"), "plugins"));
    auto check = details->getObject("checks")->getObject("plugins");
    CPPUNIT_ASSERT(!check->getValue<bool>("ok"));
    const std::string detail = check->getValue<std::string>("detail");
    for (const auto& name : failed)
        CPPUNIT_ASSERT_MESSAGE(name + " missing from: " + detail, contains(detail, name + " is failed"));
}

/// Runs clinicd --check-config on the daemon's own config file.
inline ProcessResult checkConfig(const std::string& configFile)
{
    return runProcess(binary("clinicd"), {"--check-config", "--config=" + configFile}, {}, "", 60);
}

} // namespace clinic::test
