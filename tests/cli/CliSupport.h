#pragma once

// What the clinicctl suites share: a configuration for clinicctl (and clinicd
// --check-config) on a fresh database of the backend under test, and a way to
// run the real binaries with it.

#include <string>
#include <vector>

#include "TestSupport.h"

namespace clinic::test {

/// A config file naming a fresh database, the build's plugins and a
/// private data directory.
class CliSetup {
public:
    explicit CliSetup(const std::string& plugins = "example")
        : _dbUrl(freshDatabaseUrl(_dir.path()))
        , _config(_dir.file("clinicd.properties"))
    {
        writeFile(_config,
            "data.dir = " + _dir.file("data") + "\n" + "db.url = " + _dbUrl + "\n"
                + "plugins.dir = " + pluginDir() + "\n" + "plugins.load = " + plugins + "\n" + "rules.dir = "
                + _dir.file("rules") + "\n" + "log.level = information\n" + "log.format = plain\n");
    }

    const std::string& config() const { return _config; }
    const std::string& dbUrl() const { return _dbUrl; }
    const TempDir& dir() const { return _dir; }

    /// clinicctl --config=<this config> args..., with input on standard input.
    ProcessResult ctl(const std::vector<std::string>& args, const std::string& input = "") const
    {
        return clinicctl(_config, args, input);
    }

    static ProcessResult clinicctl(
        const std::string& config, const std::vector<std::string>& args, const std::string& input = "")
    {
        std::vector<std::string> all = {"--config=" + config};
        all.insert(all.end(), args.begin(), args.end());
        return runProcess(binary("clinicctl"), all, {}, input, 120);
    }

private:
    TempDir _dir;
    std::string _dbUrl;
    std::string _config;
};

/// The result as one text for assertion messages.
inline std::string shown(const ProcessResult& r)
{
    return "exit " + std::to_string(r.exitCode) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

inline bool contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

} // namespace clinic::test
