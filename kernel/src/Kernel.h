#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <Poco/Util/LayeredConfiguration.h>

#include "KernelMetrics.h"
#include "audit/AuditLog.h"
#include "auth/AccessRules.h"
#include "auth/IdentityService.h"
#include "clinic/Host.h"
#include "db/DatabaseImpl.h"
#include "events/ChangeFeed.h"
#include "events/ChangeLog.h"
#include "events/EventBusImpl.h"
#include "host/PluginManager.h"
#include "host/ServiceTable.h"
#include "host/UrlOwners.h"
#include "http/HttpService.h"
#include "http/RouterImpl.h"
#include "jobs/JobQueueImpl.h"
#include "rules/RuleEngineImpl.h"

namespace prometheus {
class Registry;
}

namespace clinic {

/// The daemon core without the process around it: configuration, database,
/// plugins, routes and HTTP. clinicd and clinicctl both drive it, so the admin
/// tool always sees what the daemon sees.
class Kernel {
public:
    explicit Kernel(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config);
    ~Kernel();

    /// Problems with the configuration, each naming its key.
    std::vector<std::string> validateConfig() const;

    /// Opens the database and applies the kernel's own migrations (unless
    /// migrate is false: --check-config changes nothing).
    void openDatabase(bool migrate = true);

    /// Loads and orders the plugins named in plugins.load.
    void loadPlugins();

    /// Applies each plugin's migrations (in start order).
    void migratePlugins();

    /// Starts plugins in dependency order; a plugin whose start throws is
    /// failed, and so is everything that requires it. First every plugin
    /// declares its rule hooks, then the rules load.
    void startPlugins();

    /// Lets every loaded plugin declare its Lua hooks to engine, in start
    /// order; a plugin whose declaration throws is failed (--check-config
    /// runs this on an engine of its own).
    void declareRuleHooks(rules::RuleEngineImpl& engine);

    /// Registers the kernel's own routes and serves HTTP.
    void startHttp();

    /// Starts the job workers (clinicd only, after startHttp(); clinicctl
    /// never runs jobs).
    void startJobs();

    /// Stops the job workers, drains HTTP, then stops plugins in reverse order.
    void shutdown();

    /// Runs every reload hook (SIGHUP, admin reload). Returns the errors.
    std::vector<std::string> reload();

    /// Runs every readiness check: {name: result}.
    std::map<std::string, ReadinessResult> readiness();

    PluginManager& plugins() { return *_plugins; }
    DatabaseImpl& database() { return *_db; }
    RouterImpl& router() { return _router; }
    prometheus::Registry& metrics() { return *_registry; }
    const Poco::Util::LayeredConfiguration& config() const { return *_config; }
    const Clock& clock() const { return *_clock; }
    ServiceTable& services() { return _services; }
    /// The URL prefixes plugins declared, filled as startPlugins() begins.
    const UrlOwners& urlOwners() const { return _urlOwners; }
    HttpService* http() { return _http.get(); }
    /// The audit trail and access policy plugins get through Host; they exist
    /// once openDatabase() has run.
    AuditLog& audit() { return *_audit; }
    const AccessPolicy& access() const { return *_access; }
    /// Exists once startPlugins() has run.
    rules::RuleEngineImpl& rules() { return *_rules; }
    EventBusImpl& events() { return *_events; }
    /// Exists once openDatabase() has run.
    JobQueueImpl* jobs() { return _jobs.get(); }
    std::string dataDir() const;

    /// Calls loadDemoData(host, dir) on every started plugin in start order
    /// (clinicctl seed-demo). Returns "plugin: summary" for each plugin that
    /// loaded something; throws naming the plugin whose loader failed.
    std::vector<std::string> loadDemoData(const std::string& dir);

    /// Pending migrations per owner (for --check-config).
    std::map<std::string, int> pendingMigrations();

    void addReadinessCheck(const std::string& name, std::function<ReadinessResult()> check);
    void addReloadHook(const std::string& owner, std::function<void()> hook);
    void addRoute(Route route, const std::string& owner);

private:
    void registerKernelRoutes();
    void auditRefusedRole(const Request& request);
    std::string publicReadinessDetail(const std::string& check) const;
    void noteReadiness(const std::string& check, const ReadinessResult& result);
    void updatePluginMetrics();
    void startChangeFeed();
    /// Schedules the change log's retention run for the start of hour
    /// (hours since the epoch; 0: this hour), idempotent per hour.
    void scheduleChangeLogPrune(Transaction& tx, std::int64_t hour);

    Poco::AutoPtr<Poco::Util::LayeredConfiguration> _config;
    Poco::Logger& _log;
    std::shared_ptr<prometheus::Registry> _registry;
    std::unique_ptr<Clock> _clock;
    std::unique_ptr<DatabaseImpl> _db;
    std::unique_ptr<PluginManager> _plugins;
    RouterImpl _router;
    ServiceTable _services;
    UrlOwners _urlOwners;
    std::unique_ptr<AuditLog> _audit;
    std::unique_ptr<AccessRules> _access;
    std::unique_ptr<IdentityService> _identity;
    std::unique_ptr<HttpService> _http;
    std::vector<std::unique_ptr<Host>> _hosts;
    std::vector<std::pair<std::string, std::function<ReadinessResult()>>> _checks;
    std::vector<std::pair<std::string, std::function<void()>>> _reloadHooks;
    std::mutex _reloadMutex;
    std::mutex _readinessMutex;
    std::map<std::string, std::optional<bool>> _readinessOk;
    std::chrono::system_clock::time_point _startedAt;
    std::unique_ptr<KernelMetrics> _kernelMetrics;
    std::unique_ptr<rules::RuleEngineImpl> _rules;
    std::unique_ptr<ChangeLog> _changeLog;
    std::unique_ptr<ChangeFeed> _changeFeed;
    // Last, so they go first: their handlers live in the plugins' libraries.
    std::unique_ptr<EventBusImpl> _events;
    std::unique_ptr<JobQueueImpl> _jobs;
};

} // namespace clinic
