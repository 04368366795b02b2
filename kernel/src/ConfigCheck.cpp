#include "ConfigCheck.h"

#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/Util/Application.h>

#include "Kernel.h"
#include "config/Settings.h"
#include "db/DatabaseImpl.h"
#include "db/DbUrl.h"
#include "rules/RuleEngineImpl.h"

namespace clinic {

namespace {

/// Why clinicd could not make the directory dir, or "" if it can: its
/// nearest existing ancestor must be a writable directory.
std::string creatableDirectoryProblem(const std::string& dir)
{
    Poco::Path ancestor(dir);
    ancestor.makeDirectory();
    while (ancestor.depth() > 0 && !Poco::File(ancestor).exists())
        ancestor.popDirectory();
    const std::string existing = ancestor.toString();
    if (!Poco::File(existing).isDirectory())
        return existing + " is not a directory, so " + dir + " cannot be made";
    if (::access(existing.c_str(), W_OK | X_OK) != 0)
        return dir + " is missing and " + existing + " is not writable by uid " + std::to_string(::geteuid());
    return "";
}

} // namespace

int ConfigCheck::run(
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, const std::string& configFile, std::ostream& out)
{
    int errors = 0;
    auto error = [&](const std::string& what) {
        out << "error: " << what << "\n";
        ++errors;
    };
    out << "config: " << (configFile.empty() ? "(none, built-in defaults)" : configFile) << "\n";
    const auto problems = Settings::validate(*config);
    for (const auto& p : problems)
        error(p);
    if (!problems.empty()) {
        out << "configuration has " << errors << " error(s)\n";
        return Poco::Util::Application::EXIT_CONFIG;
    }
    try {
        Kernel kernel(config);
        bool dbOpen = false;
        auto url = DbUrl::parse(config->getString("db.url"));
        // Opening a SQLite file creates it: a check must leave no trace.
        if (url.dialect == Dialect::SQLite && !Poco::File(url.path).exists()) {
            // clinicd makes data.dir at start; any other missing directory
            // is a mistake in db.url. Either way the file must be creatable
            // by the user this check runs as (the unit's ExecStartPre runs
            // it as the service user).
            const std::string dataDir = config->getString("data.dir");
            const std::string parent = Poco::Path(url.path).absolute().parent().toString();
            std::string problem;
            if (Poco::Path(dataDir).absolute().toString() == parent && !Poco::File(parent).exists())
                problem = creatableDirectoryProblem(parent);
            else
                problem = sqliteLocationProblem(url.path);
            if (!problem.empty())
                error("db.url: cannot create the database: " + problem);
            else
                out << "database: " << url.path << " does not exist yet; clinicd creates it at first start\n";
        } else {
            try {
                kernel.openDatabase(false);
                dbOpen = true;
                out << "database: " << kernel.database().describe() << ": ok\n";
            } catch (const Poco::Exception& e) {
                error("db.url: cannot open " + DbUrl::redact(config->getString("db.url")) + ": "
                    + e.displayText());
            } catch (const std::exception& e) {
                error(std::string("db.url: ") + e.what());
            }
        }
        kernel.loadPlugins();
        // The plugins declare their rule hooks as they would at start, so the
        // scripts are checked against every hook and a function no plugin
        // declared (a misspelt hook, say) is named with its file and line.
        rules::RuleEngineImpl engine(config->getString("rules.dir"),
            {static_cast<long>(config->getInt64("rules.instruction_budget")),
                static_cast<std::size_t>(config->getInt64("rules.memory_limit_bytes"))},
            nullptr);
        kernel.declareRuleHooks(engine);
        for (const auto& p : kernel.plugins().plugins()) {
            if (p->state == "failed")
                error("plugins.load: plugin " + p->name + ": " + p->error);
            else
                out << "plugin " << p->name << " " << p->version << ": ok\n";
        }
        // The build and self-check a reload does, so a broken script is named
        // with its file and line before systemd starts the daemon with it.
        const auto rules = engine.check();
        if (!rules.ok) {
            error(
                "rules.dir: " + (rules.error.file.empty() ? "" : rules.info.dir + "/") + rules.error.text());
        } else if (rules.info.files.empty()) {
            out << "rules: no scripts in " << rules.info.dir << ", built-in defaults\n";
        } else {
            std::string hooks;
            for (const auto& h : rules.info.hooks)
                hooks += (hooks.empty() ? "" : ", ") + h;
            out << "rules: " << rules.info.files.size() << " script(s) in " << rules.info.dir
                << ": ok (hooks: " << (hooks.empty() ? "none" : hooks) << ")\n";
            for (const auto& w : rules.info.warnings)
                out << "warning: rules.dir: " << rules.info.dir << "/" << w << "\n";
        }
        if (dbOpen) {
            for (const auto& [owner, count] : kernel.pendingMigrations())
                if (count)
                    out << "migrations: " << owner << " has " << count << " to apply at start\n";
        }
    } catch (const Poco::Exception& e) {
        error(e.displayText());
    } catch (const std::exception& e) {
        error(e.what());
    }
    if (errors) {
        out << "check failed: " << errors << " error(s)\n";
        return Poco::Util::Application::EXIT_CONFIG;
    }
    out << "configuration ok\n";
    return Poco::Util::Application::EXIT_OK;
}

} // namespace clinic
