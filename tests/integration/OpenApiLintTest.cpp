// The OpenAPI document a terminal's developer builds on, as the daemon serves
// it with every production plugin loaded: it passes `redocly lint` (the
// recommended rules) with no error, every operation that takes a body says
// its shape, every operation says what a success answers, and every path
// parameter is declared.
//
// The linter is @redocly/cli at the version pinned in tests/tools/redocly,
// installed into the build tree with `npm ci` on first use; the suite is
// skipped only where npm cannot reach its registry.

#include <cppunit/extensions/HelperMacros.h>

#include <set>

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>

#include "TestSupport.h"

using namespace clinic::test;

namespace {

std::string toolsSource()
{
    return sourceDir() + "/tests/tools/redocly";
}

std::string toolsDir()
{
    return buildDir() + "/tools/redocly";
}

std::string linter()
{
    return toolsDir() + "/node_modules/.bin/redocly";
}

/// Why the linter could not be installed, when that is the test's failure
/// rather than a reason to skip.
std::string& installFailure()
{
    static std::string failure;
    return failure;
}

/// Installs the pinned linter unless the build tree already holds the
/// version the committed lock file names; asks to skip the suite if npm or
/// its registry cannot be reached.
bool installLinter()
{
    const std::string lock = readFile(toolsSource() + "/package-lock.json");
    Poco::File(toolsDir()).createDirectories();
    const std::string installedLock = toolsDir() + "/package-lock.json";
    if (Poco::File(linter()).exists() && Poco::File(installedLock).exists()
        && readFile(installedLock) == lock)
        return true;
    writeFile(toolsDir() + "/package.json", readFile(toolsSource() + "/package.json"));
    writeFile(installedLock, lock);
    auto ci = runProcess("npm", {"--prefix", toolsDir(), "ci", "--no-audit", "--no-fund"}, {}, "", 540);
    if (ci.exitCode == 0 && Poco::File(linter()).exists())
        return true;
    if (ci.exitCode == 127) {
        skipAll("npm is not installed (packaging/deps.sh installs nodejs and npm): the OpenAPI document "
                "was not linted");
        return false;
    }
    auto ping = runProcess("npm", {"ping"}, {}, "", 60);
    if (ping.exitCode != 0) {
        skipAll("npm cannot reach its registry, so @redocly/cli could not be installed: the OpenAPI "
                "document was not linted. npm said: "
            + ping.err.substr(0, 400));
        return false;
    }
    installFailure()
        = "npm ci of tests/tools/redocly failed although the registry answers:\n" + ci.out + ci.err;
    return false;
}

const bool linterReady = installLinter();

std::set<std::string> pathParameters(const std::string& pattern)
{
    std::set<std::string> out;
    for (std::size_t open = pattern.find('{'); open != std::string::npos; open = pattern.find('{', open + 1))
        out.insert(pattern.substr(open + 1, pattern.find('}', open) - open - 1));
    return out;
}

bool hasSchema(const Poco::JSON::Object::Ptr& withContent)
{
    auto content = withContent ? withContent->getObject("content") : nullptr;
    if (!content || content->size() == 0)
        return false;
    for (const auto& [type, media] : *content)
        if (!media.extract<Poco::JSON::Object::Ptr>()->getObject("schema"))
            return false;
    return true;
}

} // namespace

class OpenApiLintTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(OpenApiLintTest);
    CPPUNIT_TEST(documentOfEveryProductionPluginLintsWithoutErrors);
    CPPUNIT_TEST(everyOperationDeclaresItsBodyItsSuccessAndItsPathParameters);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        Daemon::Options o;
        o.config["plugins.load"] = CLINICD_PRODUCTION_PLUGINS;
        _daemon = std::make_unique<Daemon>(o);
    }

    void tearDown() override { _daemon.reset(); }

    void documentOfEveryProductionPluginLintsWithoutErrors()
    {
        CPPUNIT_ASSERT_MESSAGE(installFailure(), linterReady);
        auto doc = _daemon->client().get("/api/v1/openapi.json");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(doc.body, 200, doc.status);
        TempDir dir;
        writeFile(dir.file("openapi.json"), doc.body);
        auto lint = runProcess(linter(),
            {"lint", dir.file("openapi.json"), "--config", toolsSource() + "/redocly.yaml", "--format=json"},
            {{"REDOCLY_TELEMETRY", "off"}, {"REDOCLY_SUPPRESS_UPDATE_NOTICE", "true"}}, "", 300);
        Poco::JSON::Object::Ptr report;
        try {
            report = Poco::JSON::Parser().parse(lint.out).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception&) {
            CPPUNIT_FAIL("redocly lint did not answer JSON (exit " + std::to_string(lint.exitCode) + "):\n"
                + lint.out + lint.err);
        }
        const int errors = report->getObject("totals")->getValue<int>("errors");
        std::string problems;
        auto list = report->getArray("problems");
        for (std::size_t i = 0; list && i < list->size(); ++i) {
            auto p = list->getObject(static_cast<unsigned>(i));
            if (p->getValue<std::string>("severity") != "error")
                continue;
            std::string where;
            if (auto location = p->getArray("location"); location && location->size() > 0)
                where = location->getObject(0)->optValue<std::string>("pointer", "");
            problems += p->getValue<std::string>("ruleId") + " at " + where + ": "
                + p->getValue<std::string>("message") + "\n";
        }
        CPPUNIT_ASSERT_EQUAL_MESSAGE(problems, 0, errors);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(lint.out + lint.err, 0, lint.exitCode);
    }

    void everyOperationDeclaresItsBodyItsSuccessAndItsPathParameters()
    {
        auto doc = _daemon->client().get("/api/v1/openapi.json").json();
        auto version = _daemon->adminClient().get("/api/v1/system/plugins").json();
        CPPUNIT_ASSERT_EQUAL(version->getValue<std::string>("clinicd_version"),
            doc->getObject("info")->getValue<std::string>("version"));
        CPPUNIT_ASSERT(doc->getArray("servers")->size() > 0);

        std::set<std::string> owners;
        std::size_t operations = 0;
        for (const auto& [pattern, itemVar] : *doc->getObject("paths")) {
            auto item = itemVar.extract<Poco::JSON::Object::Ptr>();
            for (const auto& [method, opVar] : *item) {
                auto op = opVar.extract<Poco::JSON::Object::Ptr>();
                const std::string name = method + " " + pattern;
                ++operations;
                owners.insert(op->getArray("tags")->getElement<std::string>(0));
                if (method == "post" || method == "put" || method == "patch")
                    CPPUNIT_ASSERT_MESSAGE(
                        "no request body schema: " + name, hasSchema(op->getObject("requestBody")));

                bool success = false;
                for (const auto& [status, reply] : *op->getObject("responses")) {
                    if (status.size() != 3 || status[0] != '2' || status == "2XX")
                        continue;
                    success = status == "204" || hasSchema(reply.extract<Poco::JSON::Object::Ptr>());
                    CPPUNIT_ASSERT_MESSAGE("success " + status + " without a schema: " + name, success);
                }
                CPPUNIT_ASSERT_MESSAGE("no declared success answer: " + name, success);

                std::set<std::string> declared;
                if (auto params = op->getArray("parameters"))
                    for (std::size_t k = 0; k < params->size(); ++k) {
                        auto p = params->getObject(static_cast<unsigned>(k));
                        if (p->getValue<std::string>("in") == "path")
                            declared.insert(p->getValue<std::string>("name"));
                    }
                CPPUNIT_ASSERT_MESSAGE("path parameters of " + name, declared == pathParameters(pattern));
            }
        }
        // Every production plugin that serves routes is in the document.
        for (const auto& plugin : {"kernel", "metrics", "records", "scheduling"})
            CPPUNIT_ASSERT_MESSAGE(std::string("no operations of ") + plugin, owners.count(plugin));
        CPPUNIT_ASSERT(operations > 60);
    }

private:
    std::unique_ptr<Daemon> _daemon;
};

CPPUNIT_TEST_SUITE_REGISTRATION(OpenApiLintTest);
