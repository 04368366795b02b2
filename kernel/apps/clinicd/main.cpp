// clinicd: the clinic appliance daemon.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <thread>

#include <Poco/File.h>

#include <Poco/Exception.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "ConfigCheck.h"
#include "DataDirLock.h"
#include "HealthWatchdog.h"
#include "Kernel.h"
#include "SystemdNotify.h"
#include "config/Settings.h"
#include "log/Logging.h"
#include "version.h"

using Poco::Util::Option;
using Poco::Util::OptionCallback;

namespace {

/// Watches for SIGTERM, SIGINT and SIGQUIT while the daemon starts. Start-up
/// can wait on things outside it (a MariaDB server that does not answer,
/// another daemon's migration lock), and a stop asked for meanwhile must end
/// the process at once rather than when the wait gives up: nothing is served
/// yet and every database change is a transaction, so exiting is safe.
class StartupStopWatch {
public:
    StartupStopWatch()
    {
        sigemptyset(&_stops);
        sigaddset(&_stops, SIGTERM);
        sigaddset(&_stops, SIGINT);
        sigaddset(&_stops, SIGQUIT);
        _thread = std::thread([this] { watch(); });
    }
    ~StartupStopWatch() { finish(); }

    /// Start-up is over; returns a stop signal that arrived at the very end,
    /// for the serving loop to act on, else 0.
    int finish()
    {
        _started = true;
        if (_thread.joinable())
            _thread.join();
        return _late;
    }

private:
    void watch()
    {
        const timespec tick {0, 100 * 1000 * 1000};
        while (!_started) {
            const int sig = sigtimedwait(&_stops, nullptr, &tick);
            if (sig <= 0)
                continue;
            if (_started) {
                _late = sig;
                return;
            }
            Poco::Logger::get("clinicd").notice("signal %d during start-up: exiting", sig);
            std::_Exit(EXIT_SUCCESS);
        }
    }

    sigset_t _stops;
    std::atomic<bool> _started {false};
    int _late = 0;
    std::thread _thread;
};

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
        std::unique_ptr<clinic::DataDirLock> dataLock;
        StartupStopWatch stopWatch;
        try {
            const std::string dataDir = config->getString("data.dir");
            Poco::File(dataDir).createDirectories();
            dataLock = std::make_unique<clinic::DataDirLock>(dataDir, clinic::DataDirLock::Mode::Shared);
            kernel = std::make_unique<clinic::Kernel>(config);
            kernel->openDatabase();
            kernel->loadPlugins();
            kernel->migratePlugins();
            kernel->startPlugins();
            kernel->startHttp();
            kernel->startJobs();
        } catch (const Poco::Exception& e) {
            log.critical("cannot start: %s", e.displayText());
            return EXIT_SOFTWARE;
        } catch (const std::exception& e) {
            log.critical("cannot start: %s", std::string(e.what()));
            return EXIT_SOFTWARE;
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started)
                            .count();
        const int stopAsked = stopWatch.finish();
        log.information("ready in %ld ms", static_cast<long>(ms));
        clinic::notifySystemd("READY=1\nSTATUS=serving");

        // Pinged from its own thread, and only after the daemon answered
        // itself over HTTP and the database answered it.
        std::unique_ptr<clinic::HealthWatchdog> watchdog;
        if (const long long micros = clinic::systemdWatchdogMicros(); micros > 0)
            watchdog = std::make_unique<clinic::HealthWatchdog>(*kernel, std::chrono::microseconds(micros));
        for (int pending = stopAsked;;) {
            int sig = pending;
            pending = 0;
            if (!sig && sigwait(&signals, &sig) != 0)
                continue;
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
        watchdog.reset();
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
