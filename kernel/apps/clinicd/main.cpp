// clinicd: the clinic appliance daemon.

#include <signal.h>

#include <chrono>
#include <iostream>
#include <map>

#include <Poco/Exception.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "ConfigCheck.h"
#include "Kernel.h"
#include "SystemdNotify.h"
#include "config/Settings.h"
#include "log/Logging.h"
#include "version.h"

using Poco::Util::Option;
using Poco::Util::OptionCallback;

namespace {

class ClinicDaemon : public Poco::Util::ServerApplication {
protected:
    void defineOptions(Poco::Util::OptionSet& options) override
    {
        ServerApplication::defineOptions(options);
        options.addOption(Option("help", "h", "show this help and exit")
                              .callback(OptionCallback<ClinicDaemon>(this, &ClinicDaemon::onHelp)));
        options.addOption(Option("version", "v", "show the version and exit")
                              .callback(OptionCallback<ClinicDaemon>(this, &ClinicDaemon::onVersion)));
        options.addOption(Option("config", "c",
            "read configuration from FILE "
            "(default: $CLINICD_CONFIG, else /etc/clinicd/clinicd.properties)")
                              .argument("FILE")
                              .callback(OptionCallback<ClinicDaemon>(this, &ClinicDaemon::onConfig)));
        options.addOption(Option("define", "D", "set a configuration key, over every other layer")
                              .argument("key=value")
                              .repeatable(true)
                              .callback(OptionCallback<ClinicDaemon>(this, &ClinicDaemon::onDefine)));
        options.addOption(
            Option("check-config", "", "check configuration, database, plugins and rules, then exit")
                .callback(OptionCallback<ClinicDaemon>(this, &ClinicDaemon::onCheck)));
    }

    int main(const ArgVec& args) override
    {
        if (_exitEarly)
            return _exitCode;
        if (!args.empty()) {
            std::cerr << "clinicd: unexpected argument " << args.front() << " (see --help)\n";
            return EXIT_USAGE;
        }
        // Block the signals we wait for before any thread starts, so every
        // thread inherits the mask and only sigwait below sees them.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGTERM);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGQUIT);
        sigaddset(&signals, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);

        Poco::AutoPtr<Poco::Util::LayeredConfiguration> config;
        try {
            config = clinic::Settings::load(_configFile, _defines);
        } catch (const Poco::Exception& e) {
            std::cerr << "clinicd: " << e.displayText() << "\n";
            return EXIT_CONFIG;
        }
        auto problems = clinic::Settings::validate(*config);
        clinic::configureLogging(problems.empty() ? config->getString("log.level") : "information",
            config->getString("log.format", "auto"));
        if (_check)
            return clinic::ConfigCheck::run(config, _configFile, std::cout);
        if (!problems.empty()) {
            for (const auto& p : problems)
                std::cerr << "clinicd: configuration error: " << p << "\n";
            return EXIT_CONFIG;
        }
        return serve(config, signals);
    }

private:
    void onHelp(const std::string&, const std::string&)
    {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config=FILE] [-D key=value ...] [--check-config]");
        help.setHeader("clinicd, the clinic appliance daemon: appointments, records, prescriptions and "
                       "reminders over an HTTP(S) JSON API.");
        help.setFooter("Configuration layers: built-in defaults < the config file < CLINICD_* environment "
                       "(http.port -> CLINICD_HTTP_PORT) < -D on the command line. Every key is documented "
                       "in conf/clinicd.properties.");
        help.format(std::cout);
        stopOptionsProcessing();
        _exitEarly = true;
    }

    void onVersion(const std::string&, const std::string&)
    {
        std::cout << "clinicd " << CLINICD_VERSION << " (plugin API " << clinic::kPluginApiVersion << ")\n";
        stopOptionsProcessing();
        _exitEarly = true;
    }

    void onConfig(const std::string&, const std::string& value) { _configFile = value; }

    void onDefine(const std::string&, const std::string& value)
    {
        try {
            _defines.insert(clinic::Settings::parseDefine(value));
        } catch (const std::invalid_argument& e) {
            std::cerr << "clinicd: -D " << e.what() << "\n";
            stopOptionsProcessing();
            _exitEarly = true;
            _exitCode = EXIT_USAGE;
        }
    }

    void onCheck(const std::string&, const std::string&) { _check = true; }

    int serve(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config, const sigset_t& signals)
    {
        Poco::Logger& log = Poco::Logger::get("clinicd");
        const auto started = std::chrono::steady_clock::now();
        log.information("clinicd %s starting (config %s)", std::string(CLINICD_VERSION),
            _configFile.empty() ? std::string("built-in defaults") : _configFile);
        std::unique_ptr<clinic::Kernel> kernel;
        try {
            kernel = std::make_unique<clinic::Kernel>(config);
            kernel->openDatabase();
            kernel->loadPlugins();
            kernel->migratePlugins();
            kernel->startPlugins();
            kernel->startHttp();
            kernel->startJobs();
        } catch (const Poco::Exception& e) {
            log.fatal("cannot start: %s", e.displayText());
            return EXIT_SOFTWARE;
        } catch (const std::exception& e) {
            log.fatal("cannot start: %s", std::string(e.what()));
            return EXIT_SOFTWARE;
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started)
                            .count();
        log.information("ready in %ld ms", static_cast<long>(ms));
        clinic::notifySystemd("READY=1\nSTATUS=serving");

        const long long watchdog = clinic::systemdWatchdogMicros();
        for (;;) {
            int sig = 0;
            if (watchdog > 0) {
                timespec wait {static_cast<time_t>(watchdog / 2000000),
                    static_cast<long>((watchdog / 2 % 1000000) * 1000)};
                sig = sigtimedwait(&signals, nullptr, &wait);
                if (sig < 0) {
                    clinic::notifySystemd("WATCHDOG=1");
                    continue;
                }
            } else if (sigwait(&signals, &sig) != 0) {
                continue;
            }
            if (sig == SIGHUP) {
                log.information("SIGHUP: reloading");
                clinic::notifySystemd("RELOADING=1");
                kernel->reload();
                clinic::notifySystemd("READY=1");
                continue;
            }
            log.information("signal %d: draining and stopping", sig);
            break;
        }
        clinic::notifySystemd("STOPPING=1");
        kernel->shutdown();
        kernel.reset();
        log.information("stopped");
        return EXIT_OK;
    }

    std::string _configFile = clinic::Settings::defaultConfigFile();
    std::map<std::string, std::string> _defines;
    bool _check = false;
    bool _exitEarly = false;
    int _exitCode = EXIT_OK;
};

} // namespace

POCO_SERVER_MAIN(ClinicDaemon)
