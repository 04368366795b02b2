// clinicctl: the clinic administrator's command line. It reads the same
// configuration layers as clinicd and drives the same Kernel, so it always
// works on the daemon's database with the daemon's plugins.

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include "ConfigCheck.h"
#include "DataBackup.h"
#include "DataDirLock.h"
#include "Kernel.h"
#include "ServiceUser.h"
#include "auth/UserStore.h"
#include "clinic/AdminCommands.h"
#include "config/Settings.h"
#include "db/DbUrl.h"
#include "db/Migrator.h"
#include "log/Logging.h"
#include "version.h"

using Poco::Util::Option;
using Poco::Util::OptionCallback;

namespace {

/// A command's failure with the exit code it should end the process with.
struct CommandError {
    int code;
    std::string message;
};

std::string describe(const std::exception& e)
{
    if (auto pe = dynamic_cast<const Poco::Exception*>(&e))
        return pe->displayText();
    return e.what();
}

/// The first line of standard input, without its line ending. On a terminal
/// the typing is not echoed; the text never reaches argv, a log or the output.
std::string readSecretLine()
{
    const bool tty = ::isatty(STDIN_FILENO);
    termios saved {};
    if (tty && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        std::cerr << "password: " << std::flush;
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << "\n";
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

class ClinicCtl : public Poco::Util::Application {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override
    {
        Application::defineOptions(options);
        auto flag = [this](const char* name, const char* shortName, const char* help,
                        void (ClinicCtl::*handler)(const std::string&, const std::string&)) {
            return Option(name, shortName, help).callback(OptionCallback<ClinicCtl>(this, handler));
        };
        options.addOption(flag("help", "h", "show this help and exit", &ClinicCtl::onHelp));
        options.addOption(flag("version", "v", "show the version and exit", &ClinicCtl::onVersion));
        options.addOption(flag("config", "c",
            "read configuration from FILE (default: $CLINICD_CONFIG, else /etc/clinicd/clinicd.properties)",
            &ClinicCtl::onValue)
                              .argument("FILE"));
        options.addOption(
            flag("define", "D", "set a configuration key, over every other layer", &ClinicCtl::onDefine)
                .argument("key=value")
                .repeatable(true));
        options.addOption(flag(
            "verbose", "", "log at the configured log.level (default: warnings only)", &ClinicCtl::onValue));
        options.addOption(flag("force", "", "backup: replace an existing DIR", &ClinicCtl::onValue));
        options.addOption(
            flag("dir", "", "seed-demo: the demo clinic directory (default: demo.dir)", &ClinicCtl::onValue)
                .argument("DIR"));
        options.addOption(
            flag("username", "", "user add: the account name (a-z 0-9 . _ -, 3 to 64)", &ClinicCtl::onValue)
                .argument("U"));
        options.addOption(
            flag("role", "", "user add: admin, doctor, nurse, receptionist or patient", &ClinicCtl::onValue)
                .argument("R"));
        options.addOption(flag("password-stdin", "",
            "user add: read the password from the first line of standard input", &ClinicCtl::onValue));
        options.addOption(
            flag("patient-id", "", "user add: the patient record of a patient account", &ClinicCtl::onValue)
                .argument("N"));
        options.addOption(
            flag("doctor-id", "", "user add: the doctor record of a doctor account", &ClinicCtl::onValue)
                .argument("N"));
    }

    int main(const ArgVec& args) override
    {
        if (_exitEarly)
            return _exitCode;
        if (args.empty()) {
            std::cerr << "clinicctl: no command given (see --help)\n";
            return EXIT_USAGE;
        }
        const std::string& command = args.front();
        const ArgVec rest(args.begin() + 1, args.end());
        try {
            if (command == "migrate")
                return migrate(rest);
            if (command == "check-config")
                return checkConfig(rest);
            if (command == "backup")
                return backup(rest);
            if (command == "restore")
                return restore(rest);
            if (command == "seed-demo")
                return seedDemo(rest);
            if (command == "user")
                return user(rest);
            return pluginCommand(command, rest);
        } catch (const CommandError& e) {
            std::cerr << "clinicctl: " << e.message << "\n";
            return e.code;
        } catch (const std::exception& e) {
            std::cerr << "clinicctl: " << command << ": " << describe(e) << "\n";
            return EXIT_SOFTWARE;
        }
    }

private:
    void onHelp(const std::string&, const std::string&)
    {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config=FILE] [-D key=value]... COMMAND [args]");
        help.setHeader("clinicctl administers a clinicd installation with the daemon's own configuration.");
        help.format(std::cout);
        std::cout
            << "\ncommands:\n"
               "  migrate                 apply the kernel's and the plugins' schema migrations\n"
               "  check-config            the checks of clinicd --check-config, same output and exit code\n"
               "  backup DIR [--force]    the database (SQLite; a consistent copy while clinicd runs),\n"
               "                          the uploaded documents and the token signing key, into DIR\n"
               "  restore DIR             put a backup in place (clinicd stopped); the old data is kept\n"
               "                          beside it as NAME.pre-restore-STAMP\n"
               "  seed-demo [--dir=DIR]   load the demo clinic through the loaded plugins\n"
               "  user add --username U --role R --password-stdin [--patient-id N] [--doctor-id N]\n"
               "                          create an account; the password comes from standard input\n"
               "  COMMAND [args]          a command a loaded plugin adds (prescriptions: import-drugs "
               "FILE.csv);\n"
               "                          an unknown command lists them\n"
               "\nexit codes: 0 done, 64 usage, 65 invalid input, 66 missing input, 69 not available\n"
               "for this database, 70 failed, 73 cannot create (exists), 75 try again (clinicd runs),\n"
               "77 not permitted, 78 configuration error.\n"
               "Configuration layers: built-in defaults < the config file < CLINICD_* environment\n"
               "(http.port -> CLINICD_HTTP_PORT) < -D on the command line.\n"
               "Run as root, clinicctl works as the owner of data.dir (the clinicd user), so the files it\n"
               "makes are the daemon's; it refuses when data.dir is the clinicd user's but owned by root.\n";
        stopOptionsProcessing();
        _exitEarly = true;
    }

    void onVersion(const std::string&, const std::string&)
    {
        std::cout << "clinicctl " << CLINICD_VERSION << " (plugin API " << clinic::kPluginApiVersion << ")\n";
        stopOptionsProcessing();
        _exitEarly = true;
    }

    void onValue(const std::string& name, const std::string& value) { _options[name] = value; }

    void onDefine(const std::string&, const std::string& value)
    {
        try {
            _defines.insert(clinic::Settings::parseDefine(value));
        } catch (const std::invalid_argument& e) {
            std::cerr << "clinicctl: -D " << e.what() << "\n";
            stopOptionsProcessing();
            _exitEarly = true;
            _exitCode = EXIT_USAGE;
        }
    }

    bool has(const std::string& option) const { return _options.count(option) != 0; }

    std::string option(const std::string& name) const
    {
        auto it = _options.find(name);
        return it == _options.end() ? std::string() : it->second;
    }

    static void expectArgs(const std::string& command, const ArgVec& args, std::size_t count)
    {
        if (args.size() != count)
            throw CommandError {EXIT_USAGE,
                command + " takes " + (count ? std::to_string(count) + " argument(s)" : "no arguments")
                    + " (see --help)"};
    }

    /// The layered configuration. check-config reports bad values itself;
    /// every other command refuses to run on them.
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> configuration(bool validate = true)
    {
        Poco::AutoPtr<Poco::Util::LayeredConfiguration> config;
        try {
            config = clinic::Settings::load(configFile(), _defines);
        } catch (const Poco::Exception& e) {
            throw CommandError {EXIT_CONFIG, e.displayText()};
        }
        const auto problems = clinic::Settings::validate(*config);
        // Warnings only unless asked: a command's output is its report, and
        // the kernel's start-up chatter would bury it.
        clinic::configureLogging(
            has("verbose") && problems.empty() ? config->getString("log.level") : "warning",
            config->getString("log.format", "auto"));
        if (validate && !problems.empty()) {
            std::string text;
            for (const auto& p : problems)
                text += "\nclinicctl: configuration error: " + p;
            throw CommandError {EXIT_CONFIG, "the configuration is not valid:" + text};
        }
        if (!_adopted) {
            // Before anything opens or makes a file: as root, become the
            // daemon's user so the database and its journal stay its own.
            _adopted = true;
            try {
                const std::string note = clinic::ServiceUser::adopt(config->getString("data.dir"));
                if (!note.empty() && has("verbose"))
                    std::cerr << "clinicctl: " << note << "\n";
            } catch (const std::runtime_error& e) {
                throw CommandError {EXIT_NOPERM, e.what()};
            }
        }
        return config;
    }

    int checkConfig(const ArgVec& args)
    {
        expectArgs("check-config", args, 0);
        return clinic::ConfigCheck::run(configuration(false), configFile(), std::cout);
    }

    int migrate(const ArgVec& args)
    {
        expectArgs("migrate", args, 0);
        auto config = configuration();
        std::map<std::string, int> before;
        int appliedBefore = 0;
        {
            clinic::Kernel probe(config);
            probe.openDatabase(false);
            try {
                before = clinic::Migrator(probe.database()).versions();
                appliedBefore = appliedMigrations(probe.database());
            } catch (const Poco::Exception&) {
                // No schema_migrations yet: a fresh database.
            }
        }
        clinic::Kernel kernel(config);
        kernel.openDatabase(true);
        kernel.loadPlugins();
        kernel.migratePlugins();
        auto after = clinic::Migrator(kernel.database()).versions();
        const int applied = appliedMigrations(kernel.database()) - appliedBefore;

        std::cout << "database: " << kernel.database().describe() << "\n";
        int failed = 0;
        auto report = [&](const std::string& owner) {
            const int was = before.count(owner) ? before[owner] : 0;
            const int now = after.count(owner) ? after[owner] : 0;
            std::cout << owner << ": schema version " << now;
            if (now != was)
                std::cout << " (was " << was << ")\n";
            else
                std::cout << " (up to date)\n";
        };
        report("kernel");
        for (const auto& p : kernel.plugins().plugins()) {
            if (p->state == "failed") {
                std::cout << p->name << ": failed: " << p->error << "\n";
                ++failed;
            } else {
                report(p->name);
            }
        }
        if (failed) {
            std::cout << "migrate failed: " << failed << " plugin(s) could not be migrated\n";
            return EXIT_SOFTWARE;
        }
        if (applied)
            std::cout << "migrated: " << applied << " migration(s) applied\n";
        else
            std::cout << "up to date: nothing to apply\n";
        return EXIT_OK;
    }

    static int appliedMigrations(clinic::DatabaseImpl& db)
    {
        int count = 0;
        Poco::Data::Session session = db.session();
        session << "SELECT COUNT(*) FROM schema_migrations", Poco::Data::Keywords::into(count),
            Poco::Data::Keywords::now;
        return count;
    }

    /// Where this configuration keeps what a backup holds.
    static clinic::DataPaths dataPaths(const Poco::Util::AbstractConfiguration& config)
    {
        clinic::DataPaths paths;
        paths.dataDir = config.getString("data.dir");
        auto url = clinic::DbUrl::parse(config.getString("db.url"));
        paths.sqlite = url.dialect == clinic::Dialect::SQLite;
        paths.databasePath = url.path;
        paths.mariadbName = url.database;
        paths.keyPath = config.getString("auth.jwt_secret_file", "");
        if (paths.keyPath.empty())
            paths.keyPath = paths.dataDir + "/jwt.key";
        return paths;
    }

    int backup(const ArgVec& args)
    {
        if (args.size() != 1)
            throw CommandError {EXIT_USAGE, "backup takes one argument, the DIR to write (see --help)"};
        auto config = configuration();
        try {
            clinic::DataBackup::backup(dataPaths(*config), args.front(), has("force"), std::cout);
        } catch (const std::runtime_error& e) {
            const bool exists = std::string(e.what()).find("pass --force") != std::string::npos;
            throw CommandError {exists ? EXIT_CANTCREAT : EXIT_SOFTWARE, "backup: " + std::string(e.what())};
        }
        return EXIT_OK;
    }

    int restore(const ArgVec& args)
    {
        if (args.size() != 1)
            throw CommandError {EXIT_USAGE, "restore takes one argument, the backup DIR (see --help)"};
        auto config = configuration();
        const auto paths = dataPaths(*config);
        std::unique_ptr<clinic::DataDirLock> lock;
        try {
            Poco::File(paths.dataDir).createDirectories();
            // Held until the restore ends: no daemon serves the data while it
            // is swapped, and none starts halfway.
            lock = std::make_unique<clinic::DataDirLock>(paths.dataDir, clinic::DataDirLock::Mode::Exclusive);
        } catch (const std::exception& e) {
            throw CommandError {EXIT_TEMPFAIL, "restore: " + describe(e) + "; nothing was changed"};
        }
        try {
            clinic::DataBackup::restore(paths, args.front(), std::cout);
        } catch (const std::runtime_error& e) {
            throw CommandError {EXIT_SOFTWARE, "restore: " + std::string(e.what())};
        }
        return EXIT_OK;
    }

    std::string demoDirectory(const Poco::Util::AbstractConfiguration& config) const
    {
        if (has("dir"))
            return option("dir");
        const std::string configured = config.getString("demo.dir");
        if (Poco::File(configured).exists())
            return configured;
        // Not installed: a build tree runs with the source tree's copy.
        const std::string source = std::string(CLINICD_SOURCE_DIR) + "/data/demo";
        return Poco::File(source).exists() ? source : configured;
    }

    int seedDemo(const ArgVec& args)
    {
        expectArgs("seed-demo", args, 0);
        auto config = configuration();
        const std::string dir = demoDirectory(*config);
        if (!Poco::File(dir).exists() || !Poco::File(dir).isDirectory())
            throw CommandError {
                EXIT_NOINPUT, "seed-demo: no demo clinic at " + dir + " (set demo.dir or --dir)"};
        clinic::Kernel kernel(config);
        kernel.openDatabase(true);
        kernel.loadPlugins();
        kernel.migratePlugins();
        kernel.startPlugins();
        int failed = 0;
        for (const auto& p : kernel.plugins().plugins())
            if (p->state != "started") {
                std::cerr << "clinicctl: seed-demo: plugin " << p->name << " is " << p->state
                          << (p->error.empty() ? "" : ": " + p->error) << "\n";
                ++failed;
            }
        std::vector<std::string> summaries;
        try {
            summaries = kernel.loadDemoData(dir);
        } catch (...) {
            kernel.shutdown();
            throw;
        }
        kernel.shutdown();
        std::cout << "demo clinic: " << dir << "\n";
        for (const auto& s : summaries)
            std::cout << s << "\n";
        if (summaries.empty())
            std::cout << "no loaded plugin takes demo data (the scheduling plugin loads the demo clinic)\n";
        return failed ? EXIT_SOFTWARE : EXIT_OK;
    }

    /// A command a loaded plugin offers through clinic::AdminCommands: the
    /// plugins start as for seed-demo, and the first that offers it runs it.
    int pluginCommand(const std::string& command, const ArgVec& args)
    {
        auto config = configuration();
        clinic::Kernel kernel(config);
        kernel.openDatabase(true);
        kernel.loadPlugins();
        kernel.migratePlugins();
        kernel.startPlugins();
        std::string offered;
        int code = -1;
        try {
            for (const auto& p : kernel.plugins().plugins()) {
                if (p->state != "started")
                    continue;
                auto commands
                    = kernel.services().find<clinic::AdminCommands>(clinic::adminCommandsService(p->name));
                if (!commands)
                    continue;
                for (const auto& c : commands->commands()) {
                    offered += "\n  " + c.usage + "  (" + p->name + ": " + c.summary + ")";
                    if (c.name == command && code < 0)
                        code = commands->run(command, args, std::cout, std::cerr);
                }
            }
        } catch (...) {
            kernel.shutdown();
            throw;
        }
        kernel.shutdown();
        if (code >= 0)
            return code;
        throw CommandError {EXIT_USAGE,
            "unknown command " + command + " (see --help)"
                + (offered.empty() ? std::string() : "; the loaded plugins offer:" + offered)};
    }

    std::optional<Poco::Int64> idOption(const std::string& name) const
    {
        if (!has(name))
            return std::nullopt;
        Poco::Int64 id = 0;
        if (!Poco::NumberParser::tryParse64(option(name), id) || id <= 0)
            throw CommandError {EXIT_USAGE, "user add: --" + name + " takes a positive whole number"};
        return id;
    }

    int user(const ArgVec& args)
    {
        if (args.size() != 1 || args.front() != "add")
            throw CommandError {
                EXIT_USAGE, "user: the command is user add --username U --role R --password-stdin"};
        if (!has("username") || !has("role"))
            throw CommandError {EXIT_USAGE, "user add: --username and --role are required"};
        if (!has("password-stdin"))
            throw CommandError {EXIT_USAGE,
                "user add: pass --password-stdin and the password on standard input (never on the command "
                "line, where other users can read it)"};
        const auto patientId = idOption("patient-id");
        const auto doctorId = idOption("doctor-id");
        auto config = configuration();
        const std::string password = readSecretLine();
        if (password.empty())
            throw CommandError {EXIT_DATAERR, "user add: no password on standard input"};
        clinic::Kernel kernel(config);
        kernel.openDatabase(true);
        clinic::UserStore users(kernel.database());
        try {
            auto created = users.create(option("username"), option("role"), password, patientId, doctorId);
            std::cout << "created user " << created.username << " (role " << created.role << ", id "
                      << created.id << ")\n";
        } catch (const clinic::UsernameTaken& e) {
            throw CommandError {EXIT_CANTCREAT, "user add: " + std::string(e.what())};
        } catch (const std::invalid_argument& e) {
            throw CommandError {EXIT_DATAERR, "user add: " + std::string(e.what())};
        }
        return EXIT_OK;
    }

    /// --config, else what clinicd would read: $CLINICD_CONFIG, else
    /// /etc/clinicd/clinicd.properties if it exists, else none.
    std::string configFile() const
    {
        return has("config") ? option("config") : clinic::Settings::defaultConfigFile();
    }

    std::map<std::string, std::string> _defines;
    std::map<std::string, std::string> _options;
    bool _adopted = false;
    bool _exitEarly = false;
    int _exitCode = EXIT_OK;
};

} // namespace

int main(int argc, char** argv)
{
    Poco::AutoPtr<ClinicCtl> app = new ClinicCtl;
    try {
        app->init(argc, argv);
    } catch (const Poco::Exception& e) {
        std::cerr << "clinicctl: " << e.displayText() << " (see --help)\n";
        return ClinicCtl::EXIT_USAGE;
    }
    return app->run();
}
