#include "ConfigCheck.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Util/Application.h>

#include "Kernel.h"
#include "config/Settings.h"
#include "db/DbUrl.h"

namespace clinic {

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
        for (const auto& p : kernel.plugins().plugins()) {
            if (p->state == "failed")
                error("plugins.load: plugin " + p->name + ": " + p->error);
            else
                out << "plugin " << p->name << " " << p->version << ": ok\n";
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
