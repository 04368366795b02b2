#include "Kernel.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "SteppedClock.h"
#include "auth/IdentityMigrations.h"
#include "auth/RoleGrantStore.h"
#include "clinic/Json.h"
#include "clinic/StreamNarrowing.h"
#include "config/Settings.h"
#include "db/Migrator.h"
#include "events/EventStreamRoute.h"
#include "host/PluginServices.h"
#include "version.h"

namespace clinic {

namespace {

class SystemClock : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

/// Time that starts at a configured instant and runs at normal speed.
class ShiftedClock : public Clock {
public:
    explicit ShiftedClock(std::chrono::system_clock::time_point start)
        : _offset(start - std::chrono::system_clock::now())
    {
    }
    std::chrono::system_clock::time_point now() const override
    {
        return std::chrono::system_clock::now() + _offset;
    }

private:
    std::chrono::system_clock::duration _offset;
};

/// The Host a plugin sees. Its registrations are staged and reach the
/// kernel only if the plugin starts.
class PluginHost : public Host {
public:
    PluginHost(Kernel& kernel, std::string plugin)
        : _kernel(kernel)
        , _plugin(std::move(plugin))
        , _logger(Poco::Logger::get("clinicd." + _plugin))
        , _events(kernel.events(), _plugin)
        , _jobs(kernel.jobs(), _plugin)
        , _services(kernel.services(), _plugin)
        , _rules(kernel.rules(), _plugin)
    {
    }

    Router& router() override { return _router; }
    Database& database() override { return _kernel.database(); }
    const Poco::Util::AbstractConfiguration& config() const override { return _kernel.config(); }
    prometheus::Registry& metrics() override { return _kernel.metrics(); }
    Poco::Logger& logger() override { return _logger; }
    const std::string& plugin() const { return _plugin; }
    const Clock& clock() const override { return _kernel.clock(); }
    ServiceRegistry& services() override { return _services; }
    std::string dataDir() const override { return _kernel.dataDir(); }
    AuditTrail& audit() override { return _kernel.audit(); }
    const AccessPolicy& access() const override { return _kernel.access(); }
    RuleEngine& rules() override { return _rules; }
    EventBus& events() override { return _events; }
    JobQueue& jobs() override { return _jobs; }
    void addReadinessCheck(const std::string& name, std::function<ReadinessResult()> check) override
    {
        _checks.emplace_back(_plugin + "." + name, std::move(check));
    }
    void onReload(std::function<void()> hook) override { _reloadHooks.push_back(std::move(hook)); }

    /// Publishes what the plugin registered; throws if a route is malformed
    /// or under another plugin's URL prefix, or a service name is taken,
    /// before anything is published.
    void commit()
    {
        RouterImpl probe;
        for (const auto& existing : _kernel.router().routes())
            probe.add(existing->route, existing->owner);
        for (const auto& r : _router.staged()) {
            probe.add(r, _plugin);
            _kernel.urlOwners().check(_plugin, r);
        }
        for (const auto& [prefix, renderer] : _router.stagedRenderers()) {
            if (!_kernel.urlOwners().owns(_plugin, prefix))
                throw std::invalid_argument("plugin " + _plugin + " may not render errors under " + prefix
                    + ": it is not one of its URL prefixes");
            probe.addErrorRenderer(prefix, renderer, _plugin);
        }
        _jobs.check();
        _services.check();
        _services.commit();
        for (auto& r : _router.staged())
            _kernel.addRoute(std::move(r), _plugin);
        for (auto& [prefix, renderer] : _router.stagedRenderers())
            _kernel.router().addErrorRenderer(prefix, std::move(renderer), _plugin);
        for (auto& [name, check] : _checks)
            _kernel.addReadinessCheck(name, std::move(check));
        for (auto& hook : _reloadHooks)
            _kernel.addReloadHook(_plugin, std::move(hook));
        _events.commit();
        _jobs.commit();
        _router.staged().clear();
        _router.stagedRenderers().clear();
        _checks.clear();
        _reloadHooks.clear();
    }

private:
    Kernel& _kernel;
    std::string _plugin;
    Poco::Logger& _logger;
    StagedRouter _router;
    std::vector<std::pair<std::string, std::function<ReadinessResult()>>> _checks;
    std::vector<std::function<void()>> _reloadHooks;
    StagedEventBus _events;
    StagedJobQueue _jobs;
    PluginServices _services;
    rules::PluginRules _rules;
};

std::vector<Migration> kernelMigrations()
{
    // Version 1 only marks the kernel schema as present; the identity, rules
    // and jobs work add their tables as further versions.
    std::vector<Migration> migrations = {
        Migration(1, "kernel schema present", {}),
        // Accounts: clinicctl user add writes them, the identity layer logs
        // them in. Instants are seconds since the epoch, UTC.
        Migration(2, "users",
            {"CREATE TABLE users (id ${PK}, username VARCHAR(64) NOT NULL UNIQUE, role VARCHAR(16) NOT NULL,"
             " password_hash VARCHAR(255) NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
             " patient_id BIGINT NULL, doctor_id BIGINT NULL,"
             " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)${TABLE}"}),
    };
    for (auto& m : identityMigrations())
        migrations.push_back(std::move(m));
    // Durable jobs: versions 8 to 10.
    for (auto& m : jobsMigrations(8))
        migrations.push_back(std::move(m));
    // One account per patient record and per doctor: a second account on
    // the same record would read it as its own.
    migrations.push_back(Migration(11, "one account per patient and per doctor",
        {"CREATE UNIQUE INDEX users_patient_link ON users (patient_id)",
            "CREATE UNIQUE INDEX users_doctor_link ON users (doctor_id)"}));
    return migrations;
}

std::vector<std::string> splitList(const std::string& list)
{
    std::vector<std::string> out;
    Poco::StringTokenizer tok(
        list, ", ", Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
    for (const auto& t : tok)
        out.push_back(t);
    return out;
}

} // namespace

Kernel::Kernel(Poco::AutoPtr<Poco::Util::LayeredConfiguration> config)
    : _config(std::move(config))
    , _log(Poco::Logger::get("clinicd.kernel"))
    , _registry(std::make_shared<prometheus::Registry>())
    , _startedAt(std::chrono::system_clock::now())
    , _events(std::make_unique<EventBusImpl>())
{
    const std::string start = _config->getString("clock.start", "");
    if (start.empty()) {
        _clock = std::make_unique<SystemClock>();
    } else {
        int tz = 0;
        Poco::DateTime dt;
        if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, start, dt, tz)
            && !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, start, dt, tz))
            throw std::invalid_argument("clock.start: \"" + start + "\" is not an RFC 3339 instant");
        dt.makeUTC(tz);
        auto micros = dt.timestamp().epochMicroseconds();
        _clock = std::make_unique<ShiftedClock>(
            std::chrono::system_clock::time_point(std::chrono::microseconds(micros)));
        _log.warning("clock.start is set: the daemon's clock starts at %s, not real time", start);
    }
    const std::string offsetFile = _config->getString("clock.offset_file", "");
    if (!offsetFile.empty()) {
        _clock = std::make_unique<SteppedClock>(std::move(_clock), offsetFile);
        _log.warning("clock.offset_file is set: the daemon's clock moves by the seconds in %s", offsetFile);
    }
    _plugins = std::make_unique<PluginManager>(_config->getString("plugins.dir"));
}

Kernel::~Kernel()
{
    if (_changeFeed)
        _changeFeed->stop();
    if (_jobs)
        _jobs->stop();
    _http.reset();
    _hosts.clear();
}

std::vector<std::string> Kernel::validateConfig() const
{
    return Settings::validate(*_config);
}

std::string Kernel::dataDir() const
{
    return _config->getString("data.dir");
}

void Kernel::openDatabase(bool migrate)
{
    Poco::File(dataDir()).createDirectories();
    DatabaseOptions options;
    options.url = _config->getString("db.url");
    options.poolMax = _config->getInt("db.pool.max");
    options.busyTimeoutMs = _config->getInt("db.busy_timeout_ms");
    options.synchronous = _config->getString("db.synchronous");
    options.connectTimeoutSeconds = _config->getInt("db.connect_timeout_seconds");
    options.ioTimeoutSeconds = _config->getInt("db.io_timeout_seconds");
    _db = std::make_unique<DatabaseImpl>(options);
    _db->countRetriesIn(*_registry);
    _db->countFaultsIn(*_registry);
    _log.information("database: %s", _db->describe());
    if (migrate) {
        Migrator migrator(*_db);
        migrator.prepare();
        int ran = migrator.apply("kernel", kernelMigrations());
        if (ran)
            _log.information("kernel: applied %d migration(s)", ran);
        // The change log versions on its own, so it never races the other
        // kernel tables for a version number.
        ran = migrator.apply("kernel.events", ChangeLog::migrations());
        if (ran)
            _log.information("kernel.events: applied %d migration(s)", ran);
        ran = migrator.apply("kernel.grants", RoleGrantStore::migrations());
        if (ran)
            _log.information("kernel.grants: applied %d migration(s)", ran);
        _changeLog = std::make_unique<ChangeLog>(*_db, *_clock);
        _events->recordTo(_changeLog.get());
    }
    addReadinessCheck("database", [this] { return _db->check(); });
    addReadinessCheck("database_writable", [this] { return _db->checkWritable(); });
    addReadinessCheck("disk", [this] { return _db->checkStorage(dataDir()); });
    // Plugins reach these through Host::audit() and Host::access() from start().
    _audit = std::make_unique<AuditLog>(*_db, *_clock);
    _access = std::make_unique<AccessRules>(*_config, _services);
    JobSettings jobs;
    jobs.workers = _config->getInt("jobs.workers");
    jobs.pollMs = _config->getInt("jobs.poll_ms");
    jobs.leaseSeconds = _config->getInt("jobs.lease_seconds");
    _jobs = std::make_unique<JobQueueImpl>(*_db, *_clock, jobs);
    if (_changeLog) {
        // Retention: each run deletes what is older than events.change_log_days
        // and schedules the next for the following hour; a durable job, so it
        // runs once across daemons and survives restarts.
        JobOptions once;
        once.maxAttempts = 3;
        _jobs->registerAs(
            "kernel", "kernel.change_log.prune",
            [this](const Job& job, Transaction& tx) {
                const auto keep = std::chrono::hours(24) * _config->getInt("events.change_log_days");
                const auto cutoff = std::chrono::duration_cast<std::chrono::milliseconds>(
                    (_clock->now() - keep).time_since_epoch())
                                        .count();
                const std::size_t deleted = _changeLog->pruneBefore(tx, cutoff);
                if (deleted)
                    _log.information("change log: pruned %z row(s) older than %d day(s)", deleted,
                        _config->getInt("events.change_log_days"));
                // The chain goes on from this run's hour, not from now, so a
                // run that came early does not collide with its successor's key.
                scheduleChangeLogPrune(tx, job.payload->optValue<Poco::Int64>("hour", 0) + 1);
            },
            once);
        // The chain starts with this daemon's first recorded change (a
        // database nothing publishes to needs no pruning); idempotent per
        // hour, so daemons and restarts join the chain instead of forking it.
        _changeLog->armRetention([this](Transaction& tx) { scheduleChangeLogPrune(tx, 0); });
    }
}

void Kernel::scheduleChangeLogPrune(Transaction& tx, std::int64_t hour)
{
    if (hour <= 1)
        hour = std::chrono::duration_cast<std::chrono::hours>(_clock->now().time_since_epoch()).count();
    auto payload = makeObject();
    payload->set("hour", static_cast<Poco::Int64>(hour));
    _jobs->schedule(tx, "kernel.change_log.prune", payload,
        std::chrono::system_clock::time_point(std::chrono::hours(hour)),
        "kernel:change_log.prune:" + std::to_string(hour));
}

void Kernel::loadPlugins()
{
    const auto names = splitList(_config->getString("plugins.load", ""));
    _plugins->load(names);
    _plugins->resolve();
    addReadinessCheck("plugins", [this] {
        std::string failed;
        for (const auto& p : _plugins->plugins())
            if (p->state != "started")
                failed += (failed.empty() ? "" : "; ") + p->name + " is " + p->state
                    + (p->error.empty() ? "" : " (" + p->error + ")");
        return ReadinessResult {failed.empty(), failed};
    });
}

void Kernel::migratePlugins()
{
    Migrator migrator(*_db);
    migrator.prepare();
    // A plugin's schema newer than this build means an older clinicd was put
    // on a newer database: the whole start is refused, as for the kernel's
    // own schema, rather than serving on without that plugin and its
    // dependants. (A plugin whose list cannot be read fails below, alone.)
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state != "loaded")
            continue;
        std::vector<Migration> steps;
        try {
            steps = p->instance->migrations();
        } catch (...) {
            continue;
        }
        migrator.refuseNewer(p->name, steps);
    }
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state != "loaded")
            continue;
        _plugins->guarded(*p, "migrations", [&] {
            int ran = migrator.apply(p->name, p->instance->migrations());
            if (ran)
                _log.information("plugin %s: applied %d migration(s)", p->name, ran);
        });
    }
}

std::map<std::string, int> Kernel::pendingMigrations()
{
    std::map<std::string, int> out;
    Migrator migrator(*_db);
    bool tableExists = true;
    try {
        migrator.versions();
    } catch (const Poco::Exception&) {
        tableExists = false;
    }
    out["kernel"] = tableExists ? migrator.pending("kernel", kernelMigrations())
                                : static_cast<int>(kernelMigrations().size());
    out["kernel.events"] = tableExists ? migrator.pending("kernel.events", ChangeLog::migrations())
                                       : static_cast<int>(ChangeLog::migrations().size());
    out["kernel.grants"] = tableExists ? migrator.pending("kernel.grants", RoleGrantStore::migrations())
                                       : static_cast<int>(RoleGrantStore::migrations().size());
    for (PluginRecord* p : _plugins->startOrder()) {
        auto migrations = p->instance->migrations();
        out[p->name]
            = tableExists ? migrator.pending(p->name, migrations) : static_cast<int>(migrations.size());
    }
    return out;
}

void Kernel::startPlugins()
{
    // The rules load before any plugin starts, so a plugin's first call sees
    // them; a broken script stops the start (check-config says so first).
    _rules = std::make_unique<rules::RuleEngineImpl>(_config->getString("rules.dir"),
        rules::SandboxLimits {static_cast<long>(_config->getInt64("rules.instruction_budget")),
            static_cast<std::size_t>(_config->getInt64("rules.memory_limit_bytes"))},
        _registry.get());
    // Every plugin declares its hooks first, so the first generation is
    // checked against all of them and a function no plugin declared is
    // reported (by the reload's log) once, with everything known.
    declareRuleHooks(*_rules);
    const auto loaded = _rules->reload();
    if (!loaded.ok)
        throw std::runtime_error("rules: " + loaded.error.text());
    addReloadHook("rules", [this] {
        const auto reloaded = _rules->reload();
        if (!reloaded.ok)
            throw std::runtime_error(reloaded.error.text());
    });
    // The kernel's routes go in first, so a plugin that declares one of
    // them fails its own start instead of the kernel's (which would stop
    // the whole daemon).
    registerKernelRoutes();
    // Published before any plugin starts so the metrics plugin finds it; the
    // gauges it refreshes are read at scrape time rather than on a timer.
    _kernelMetrics
        = std::make_unique<KernelMetrics>(*_registry, _db.get(), _config->getInt("db.pool.max"), _startedAt);
    _services.publish<std::function<void()>>("kernel.metrics.refresh",
        std::make_shared<std::function<void()>>([this] { _kernelMetrics->refresh(); }));
    _kernelMetrics->setJobs(_jobs.get());
    // Location-scoped roles: an access-request plugin grants them, a plugin
    // that keeps locations honours them; the kernel keeps them.
    _services.publish<RoleGrants>(kRoleGrantsService, std::make_shared<RoleGrantStore>(*_db));
    // Sessions, refresh tokens and finished jobs are kept only for a while
    // (the audit trail for ever): a durable job prunes them.
    _retention = std::make_unique<RetentionSweep>(*_db, *_clock, *_config);
    _retention->install(*_jobs);
    // Every plugin's URL prefixes are known before the first starts, so a
    // route under another plugin's prefix is refused whichever starts first.
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state == "loaded")
            _plugins->guarded(
                *p, "url prefixes", [&] { _urlOwners.declare(p->name, p->instance->urlPrefixes()); });
    }
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state != "loaded")
            continue;
        auto host = std::make_unique<PluginHost>(*this, p->name);
        PluginHost& ref = *host;
        _hosts.push_back(std::move(host));
        if (_plugins->guarded(*p, "start", [&] {
                p->instance->start(ref);
                ref.commit();
            })) {
            p->state = "started";
            _log.information("started plugin %s %s", p->name, p->version);
        }
    }
    // A plugin that failed owns no hooks: the listing drops them and a
    // script defining them is warned about at the next reload.
    for (const auto& p : _plugins->plugins())
        if (p->state == "failed")
            _rules->withdraw(p->name);
    updatePluginMetrics();
}

void Kernel::declareRuleHooks(rules::RuleEngineImpl& engine)
{
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state != "loaded" || !p->instance)
            continue;
        rules::PluginRules view(engine, p->name);
        if (!_plugins->guarded(*p, "declareRuleHooks", [&] { p->instance->declareRuleHooks(view); }))
            engine.withdraw(p->name);
    }
}

std::vector<std::string> Kernel::loadDemoData(const std::string& dir)
{
    std::vector<std::string> summaries;
    for (PluginRecord* p : _plugins->startOrder()) {
        if (p->state != "started")
            continue;
        Host* host = nullptr;
        for (const auto& h : _hosts) {
            auto* ph = dynamic_cast<PluginHost*>(h.get());
            if (ph && ph->plugin() == p->name)
                host = ph;
        }
        if (!host)
            continue;
        std::string summary;
        try {
            summary = p->instance->loadDemoData(*host, dir);
        } catch (const Poco::Exception& e) {
            throw std::runtime_error("plugin " + p->name + ": demo data: " + e.displayText());
        } catch (const std::exception& e) {
            throw std::runtime_error("plugin " + p->name + ": demo data: " + e.what());
        }
        if (!summary.empty())
            summaries.push_back(p->name + ": " + summary);
    }
    return summaries;
}

void Kernel::updatePluginMetrics()
{
    auto& up = prometheus::BuildGauge()
                   .Name("clinicd_plugin_up")
                   .Help("1 if the plugin is started, 0 if it failed or is stopped")
                   .Register(*_registry);
    for (const auto& p : _plugins->plugins())
        up.Add({{"plugin", p->name}}).Set(p->state == "started" ? 1 : 0);
    if (_db) {
        auto& version = prometheus::BuildGauge()
                            .Name("clinicd_schema_version")
                            .Help("Applied schema version per plugin (and the kernel)")
                            .Register(*_registry);
        try {
            for (const auto& [owner, v] : Migrator(*_db).versions())
                version.Add({{"owner", owner}}).Set(v);
        } catch (const Poco::Exception& e) {
            _log.warning("cannot read schema versions: %s", e.displayText());
        }
    }
}

void Kernel::addReadinessCheck(const std::string& name, std::function<ReadinessResult()> check)
{
    _checks.emplace_back(name, std::move(check));
}

void Kernel::addReloadHook(const std::string& owner, std::function<void()> hook)
{
    std::lock_guard<std::mutex> lock(_reloadMutex);
    _reloadHooks.emplace_back(owner, std::move(hook));
}

void Kernel::addRoute(Route route, const std::string& owner)
{
    _router.add(std::move(route), owner);
}

std::vector<std::string> Kernel::reload()
{
    std::lock_guard<std::mutex> lock(_reloadMutex);
    std::vector<std::string> errors;
    _log.information("reload requested: %z hook(s)", _reloadHooks.size());
    for (auto& [owner, hook] : _reloadHooks) {
        try {
            hook();
        } catch (const Poco::Exception& e) {
            errors.push_back(owner + ": " + e.displayText());
        } catch (const std::exception& e) {
            errors.push_back(owner + ": " + e.what());
        }
    }
    for (const auto& e : errors)
        _log.error("reload: %s", e);
    return errors;
}

std::map<std::string, ReadinessResult> Kernel::readiness()
{
    std::map<std::string, ReadinessResult> out;
    for (auto& [name, check] : _checks) {
        try {
            out[name] = check();
        } catch (const std::exception& e) {
            out[name] = {false, std::string("check threw: ") + e.what()};
        }
    }
    return out;
}

std::string Kernel::publicReadinessDetail(const std::string& check) const
{
    // /health/ready is public: it names what fails, never why (database
    // errors carry hosts, users and paths). The reason goes to the log.
    if (check != "plugins")
        return "failing; the daemon log has the reason";
    std::string out;
    for (const auto& p : _plugins->plugins())
        if (p->state != "started")
            out += (out.empty() ? "" : "; ") + p->name + " is " + p->state;
    return out;
}

void Kernel::noteReadiness(const std::string& check, const ReadinessResult& result)
{
    std::lock_guard<std::mutex> lock(_readinessMutex);
    auto& wasOk = _readinessOk[check];
    if (!wasOk.has_value() || *wasOk != result.ok) {
        if (result.ok)
            _log.information("readiness check %s passes again", check);
        else
            _log.warning("readiness check %s fails: %s", check, result.detail);
    }
    wasOk = result.ok;
}

void Kernel::auditRefusedRole(const Request& request)
{
    // A role refused by a route's declaration is an attempt on whatever the
    // route guards; under /api/v1/patients/{id} that is a named patient.
    AuditEvent event {"access.denied", "route", request.method + " " + request.routePattern, 0, "denied", ""};
    if (request.routePattern.rfind("/api/v1/patients/{id}", 0) == 0) {
        auto id = request.pathParams.find("id");
        Poco::Int64 patient = 0;
        if (id != request.pathParams.end() && id->second.size() <= 18
            && Poco::NumberParser::tryParse64(id->second, patient) && patient > 0)
            event.patientId = patient;
    }
    try {
        _audit->record(request, event);
    } catch (const std::exception& e) {
        _log.error("could not audit a refused %s %s: %s", request.method, request.routePattern,
            std::string(e.what()));
    }
}

void Kernel::startHttp()
{
    // Reads (or makes) the signing key: a key file open to group or others
    // stops the start here.
    _identity = std::make_unique<IdentityService>(*_db, *_clock, *_config, *_audit, _services, dataDir());
    _identity->addRoutes([this](Route route) { addRoute(std::move(route), "kernel"); });
    HttpOptions options;
    options.address = _config->getString("http.address");
    options.port = _config->getInt("http.port");
    options.threads = _config->getInt("http.threads");
    options.queue = _config->getInt("http.queue");
    options.maxBodyBytes = static_cast<std::size_t>(_config->getInt64("http.max_body_bytes"));
    options.timeoutSeconds = _config->getInt("http.timeout_seconds");
    // http.keepalive_seconds is the key's old spelling; a config that still sets it is honoured.
    options.keepAliveSeconds = _config->has("http.keepalive_seconds")
        ? _config->getInt("http.keepalive_seconds")
        : _config->getInt("http.keep_alive_seconds");
    options.headerTimeoutSeconds = _config->getInt("http.header_timeout_seconds");
    options.bodyMinBytesPerSecond
        = static_cast<std::size_t>(_config->getInt64("http.body_min_bytes_per_second"));
    options.maxHeaderBytes = static_cast<std::size_t>(_config->getInt("http.max_header_bytes"));
    options.maxConnections = _config->getInt("http.max_connections");
    options.maxConnectionsPerClient = _config->getInt("http.max_connections_per_client");
    options.tlsCert = _config->getString("http.tls.cert", "");
    options.tlsKey = _config->getString("http.tls.key", "");
    for (const auto& origin : splitList(_config->getString("http.cors_origins", "")))
        options.corsOrigins.insert(origin);
    options.trustedProxies = TrustedProxies(splitList(_config->getString("http.trusted_proxies", "")));
    _http = std::make_unique<HttpService>(_router, *_registry, options);
    _http->setAuthenticator([this](Request& request) { _identity->authenticate(request); });
    _http->setDeniedHook([this](const Request& request) { auditRefusedRole(request); });
    startChangeFeed();
    _http->start();
    _log.information("serving %s on %s:%d (%d routes)", std::string(_http->secure() ? "HTTPS" : "HTTP"),
        options.address, _http->port(), static_cast<int>(_router.routes().size()));
}

void Kernel::startChangeFeed()
{
    if (!_changeLog)
        return;
    FeedSettings settings;
    settings.pollMs = _config->getInt("events.poll_ms");
    settings.maxStreams = _config->getInt("events.max_streams");
    settings.maxStreamsPerUser = _config->getInt("events.max_streams_per_user");
    settings.sessionCheckSeconds = _config->getInt("events.session_check_seconds");
    settings.clinicalRoles.clear();
    for (const auto& role : splitList(_config->getString("access.clinical_roles")))
        settings.clinicalRoles.insert(role);
    // A plugin may hold rows about a patient back from a staff stream (records:
    // a doctor limited to their own patients), found per row as the access
    // policy finds CareRelationships.
    const ServiceRegistry& services = _services;
    settings.narrow = [&services](const ChangeRow& row, const Caller& caller) {
        auto narrowing = services.find<StreamNarrowing>(kStreamNarrowingService);
        if (!narrowing)
            return true;
        const EventAudience audience = row.audience == "schedule" ? EventAudience::Schedule
            : row.audience == "clinical"                          ? EventAudience::Clinical
                                                                  : EventAudience::Patient;
        return narrowing->mayCarry(caller, row.type, audience, row.patientId);
    };
    _changeFeed = std::make_unique<ChangeFeed>(*_changeLog, *_clock, *_registry, settings,
        [this](const std::string& sessionId, std::int64_t userId) {
            return _identity->sessionLive(sessionId, userId);
        });
    addRoute(eventStreamRoute(*_changeFeed, *_identity), "kernel");
    ChangeFeed* feed = _changeFeed.get();
    _events->onRecorded([feed] { feed->wake(); });
    _changeFeed->start();
}

void Kernel::startJobs()
{
    if (_jobs && _config->getInt("jobs.workers") > 0)
        _jobs->start();
}

void Kernel::shutdown()
{
    // Open event streams end first, so the HTTP drain does not wait on them.
    if (_changeFeed)
        _changeFeed->stop();
    // Before plugins stop: a running job finishes (its handler is plugin
    // code); claimed jobs not yet started go back to the queue.
    if (_jobs)
        _jobs->stop();
    if (_http) {
        int left = _http->stop(_config->getInt("http.drain_seconds"));
        if (left)
            _log.warning("%d connection(s) still open after the drain period were closed", left);
        else
            _log.information("HTTP drained");
        _http.reset();
    }
    auto order = _plugins->startOrder();
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        PluginRecord* p = *it;
        if (p->state != "started")
            continue;
        if (_plugins->guarded(*p, "stop", [&] { p->instance->stop(); }))
            p->state = "stopped";
    }
}

} // namespace clinic
