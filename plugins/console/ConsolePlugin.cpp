// The reception console: serves the web application in console.root under
// /console/ (see README.md). The page and its files hold no clinic data, so
// the routes are public; every API call the page makes carries the signed-in
// user's token and is checked as any other.

#include <memory>
#include <string>

#include <Poco/File.h>

#include "AssetDirectory.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

/// console.root when set; else the installed copy, or the source tree's
/// when the daemon runs from a build tree.
std::string consoleRoot(const Poco::Util::AbstractConfiguration& config)
{
    if (config.has("console.root"))
        return config.getString("console.root");
    if (Poco::File(CONSOLE_ROOT_INSTALLED).exists())
        return CONSOLE_ROOT_INSTALLED;
    return CONSOLE_ROOT_SOURCE;
}

class ConsolePlugin : public clinic::Plugin {
public:
    std::string name() const override { return "console"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> urlPrefixes() const override { return {"/console"}; }

    void start(clinic::Host& host) override
    {
        // Checked first: a missing directory fails the plugin by name, and
        // the daemon serves the rest.
        auto files
            = std::make_shared<clinic::console::AssetDirectory>(consoleRoot(host.config()), "/console");
        host.logger().information("console: serving %s under /console/", files->root());

        auto serve = [files](clinic::Request& req) { return files->serve(req); };
        const auto html = clinic::Contract().returnsText(200, "text/html", "the console's page");
        const auto asset = clinic::Contract().returnsText(
            200, "text/javascript", "a script, style sheet or image of the console (its own content type)");
        // The router matches whole segments, so each depth of the web/ tree
        // is a pattern of its own: /console/index.html, /console/js/app.js,
        // /console/js/i18n/en.js.
        host.router().add(
            {"GET", "/console", clinic::Access::open(), serve, "console: the web console's page", html});
        host.router().add({"GET", "/console/{file}", clinic::Access::open(), serve,
            "console: a file of the web console", asset});
        host.router().add({"GET", "/console/{dir}/{file}", clinic::Access::open(), serve,
            "console: a file of the web console", asset});
        host.router().add({"GET", "/console/{dir}/{subdir}/{file}", clinic::Access::open(), serve,
            "console: a file of the web console", asset});
    }
};

} // namespace

CLINIC_PLUGIN(ConsolePlugin)
