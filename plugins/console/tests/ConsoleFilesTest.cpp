// The console plugin serves console.root under /console/ as a careful static
// file server: the right content type, ETag and Last-Modified with 304 on a
// match, the console's Content-Security-Policy and companions on every
// answer, and the error envelope's 404 for a missing file, a hidden file, a
// type it does not serve, and every way out of the root (dot segments, plain
// or percent-encoded, and a symbolic link pointing outside).

#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>

#include "TestSupport.h"

using namespace clinic::test;

class ConsoleFilesTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ConsoleFilesTest);
    CPPUNIT_TEST(servesTheIndexPageForTheDirectory);
    CPPUNIT_TEST(redirectsThePrefixWithoutItsSlash);
    CPPUNIT_TEST(servesEachFileWithItsContentTypeAndValidators);
    CPPUNIT_TEST(answers304WhileTheBrowsersCopyIsCurrent);
    CPPUNIT_TEST(neverLeavesTheRoot);
    CPPUNIT_TEST(refusesHiddenFilesDirectoriesAndUnknownTypes);
    CPPUNIT_TEST(headAnswersTheHeadersWithoutTheBody);
    CPPUNIT_TEST(theShippedConsoleHasNoInlineScriptOrStyle);
    CPPUNIT_TEST(aMissingRootFailsThePluginByName);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override
    {
        _outside = std::make_unique<TempDir>();
        writeFile(_outside->file("secret.txt"), "outside the console");
        _site = std::make_unique<TempDir>();
        const std::string root = _site->file("web");
        Poco::File(root + "/js/i18n").createDirectories();
        Poco::File(root + "/css").createDirectories();
        writeFile(root + "/index.html", "<!doctype html><title>console</title>");
        writeFile(root + "/js/app.js", "export const x = 1;\n");
        writeFile(root + "/js/i18n/ro.js", "export default {};\n");
        writeFile(root + "/css/console.css", "body { margin: 0 }\n");
        writeFile(root + "/.env", "hidden");
        writeFile(root + "/notes.bak", "a stray backup");
        writeFile(root + "/inside.txt", "inside");
        CPPUNIT_ASSERT_EQUAL(
            0, ::symlink(_outside->file("secret.txt").c_str(), (root + "/leak.txt").c_str()));
        CPPUNIT_ASSERT_EQUAL(0, ::symlink(_outside->path().c_str(), (root + "/out").c_str()));
        CPPUNIT_ASSERT_EQUAL(0, ::symlink((root + "/inside.txt").c_str(), (root + "/alias.txt").c_str()));

        Daemon::Options o;
        o.config["plugins.load"] = "console";
        o.config["console.root"] = root;
        _daemon = std::make_unique<Daemon>(o);
    }

    void tearDown() override
    {
        _daemon.reset();
        _site.reset();
        _outside.reset();
    }

    static void assertSecurityHeaders(const HttpResult& r)
    {
        CPPUNIT_ASSERT_EQUAL(std::string("default-src 'self'; script-src 'self'; style-src 'self'; img-src "
                                         "'self' data:; connect-src 'self'; frame-ancestors 'none'"),
            r.header("content-security-policy"));
        CPPUNIT_ASSERT_EQUAL(std::string("nosniff"), r.header("x-content-type-options"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-referrer"), r.header("referrer-policy"));
    }

    void assertNotFound(const std::string& target)
    {
        auto c = _daemon->client();
        auto r = c.get(target);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(target + ": " + r.body, 404, r.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(target, std::string("NOT_FOUND"), r.errorCode());
        CPPUNIT_ASSERT_MESSAGE(target, r.body.find("outside the console") == std::string::npos);
    }

    void servesTheIndexPageForTheDirectory()
    {
        auto c = _daemon->client();
        auto r = c.get("/console/");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("<!doctype html><title>console</title>"), r.body);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), r.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-cache"), r.header("cache-control"));
        assertSecurityHeaders(r);
        CPPUNIT_ASSERT_EQUAL(r.body, c.get("/console/index.html").body);
    }

    void redirectsThePrefixWithoutItsSlash()
    {
        auto c = _daemon->client();
        auto r = c.get("/console");
        CPPUNIT_ASSERT_EQUAL(301, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("/console/"), r.header("location"));
    }

    void servesEachFileWithItsContentTypeAndValidators()
    {
        auto c = _daemon->client();
        const std::map<std::string, std::string> expected = {
            {"/console/js/app.js", "text/javascript; charset=utf-8"},
            {"/console/js/i18n/ro.js", "text/javascript; charset=utf-8"},
            {"/console/css/console.css", "text/css; charset=utf-8"},
            {"/console/alias.txt", "text/plain; charset=utf-8"},
        };
        for (const auto& [path, type] : expected) {
            auto r = c.get(path);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 200, r.status);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, type, r.header("content-type"));
            CPPUNIT_ASSERT_MESSAGE(path, r.header("etag").size() > 2 && r.header("etag").front() == '"');
            CPPUNIT_ASSERT_MESSAGE(path, r.header("last-modified").find("GMT") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(path, std::string("public, max-age=300"), r.header("cache-control"));
            assertSecurityHeaders(r);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("inside"), c.get("/console/alias.txt").body);
    }

    void answers304WhileTheBrowsersCopyIsCurrent()
    {
        auto c = _daemon->client();
        auto first = c.get("/console/js/app.js");
        const std::string tag = first.header("etag");
        auto same = c.get("/console/js/app.js", {{"If-None-Match", tag}});
        CPPUNIT_ASSERT_EQUAL(304, same.status);
        CPPUNIT_ASSERT(same.body.empty());
        CPPUNIT_ASSERT_EQUAL(tag, same.header("etag"));
        CPPUNIT_ASSERT_EQUAL(304, c.get("/console/js/app.js", {{"If-None-Match", "\"x\", W/" + tag}}).status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/console/js/app.js", {{"If-None-Match", "\"other\""}}).status);
        CPPUNIT_ASSERT_EQUAL(
            304, c.get("/console/js/app.js", {{"If-Modified-Since", first.header("last-modified")}}).status);
        CPPUNIT_ASSERT_EQUAL(200,
            c.get("/console/js/app.js", {{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}}).status);

        // A changed file is a new tag: the browser's copy is no longer current.
        writeFile(_site->file("web/js/app.js"), "export const x = 2;\n");
        auto changed = c.get("/console/js/app.js", {{"If-None-Match", tag}});
        CPPUNIT_ASSERT_EQUAL(200, changed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("export const x = 2;\n"), changed.body);
        CPPUNIT_ASSERT(changed.header("etag") != tag);
    }

    void neverLeavesTheRoot()
    {
        for (const char* target :
            {"/console/../secret.txt", "/console/js/../../secret.txt", "/console/%2e%2e/secret.txt",
                "/console/%2E%2E/%2E%2E/etc/passwd", "/console/js%2f..%2f..%2fsecret.txt",
                "/console/..%2fsecret.txt", "/console/leak.txt", "/console/out/secret.txt",
                "/console/js/%00app.js", "/console/js\\..\\..\\secret.txt", "/console/./index.html"})
            assertNotFound(target);
    }

    void refusesHiddenFilesDirectoriesAndUnknownTypes()
    {
        for (const char* target : {"/console/.env", "/console/notes.bak", "/console/js", "/console/js/",
                 "/console/missing.js", "/console/js/i18n/fr.js", "/console/a/b/c/d.js"})
            assertNotFound(target);
        auto c = _daemon->client();
        auto r = c.get("/console/missing.js");
        assertSecurityHeaders(r);
    }

    void headAnswersTheHeadersWithoutTheBody()
    {
        auto c = _daemon->client();
        auto r = c.request("HEAD", "/console/css/console.css");
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT(r.body.empty());
        CPPUNIT_ASSERT_EQUAL(std::string("text/css; charset=utf-8"), r.header("content-type"));
        assertSecurityHeaders(r);
    }

    /// The real web/ tree: a strict script-src 'self' holds only if no page
    /// carries a script or style of its own.
    void theShippedConsoleHasNoInlineScriptOrStyle()
    {
        const std::string page = readFile(sourceDir() + "/plugins/console/web/index.html");
        CPPUNIT_ASSERT(page.find("<script type=\"module\" src=") != std::string::npos);
        for (const char* inline_ : {"<style", " style=", "onclick=", "onload=", "javascript:"})
            CPPUNIT_ASSERT_MESSAGE(inline_, page.find(inline_) == std::string::npos);
        std::size_t at = 0;
        while ((at = page.find("<script", at)) != std::string::npos) {
            const std::size_t close = page.find('>', at);
            CPPUNIT_ASSERT_MESSAGE(
                "a script without src", page.substr(at, close - at).find(" src=") != std::string::npos);
            CPPUNIT_ASSERT_EQUAL(std::string("</script>"), page.substr(close + 1, 9));
            at = close;
        }
    }

    /// A wrong console.root is named in the log, the console is not served,
    /// and the daemon serves the rest.
    void aMissingRootFailsThePluginByName()
    {
        Daemon::Options o;
        o.config["plugins.load"] = "console";
        o.config["console.root"] = _site->file("no-such-folder");
        Daemon other(o);
        auto c = other.client();
        CPPUNIT_ASSERT_EQUAL(404, c.get("/console/").status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
        CPPUNIT_ASSERT(eventually(
            [&] { return other.log().find("no-such-folder is not a directory") != std::string::npos; }));
    }

private:
    std::unique_ptr<TempDir> _site;
    std::unique_ptr<TempDir> _outside;
    std::unique_ptr<Daemon> _daemon;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConsoleFilesTest);
