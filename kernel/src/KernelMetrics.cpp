#include "KernelMetrics.h"

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "db/DatabaseImpl.h"
#include "jobs/JobQueueImpl.h"
#include "version.h"

namespace clinic {

namespace {

prometheus::Family<prometheus::Gauge>& poolSessions(prometheus::Registry& registry)
{
    return prometheus::BuildGauge()
        .Name("clinicd_db_pool_sessions")
        .Help("Database sessions in the pool, by state (in_use, idle)")
        .Register(registry);
}

/// The kernel's start instant on the steady clock, so a wall-clock step (NTP,
/// an admin fixing the date) never makes the uptime jump or go negative.
std::chrono::steady_clock::time_point steadyStart(std::chrono::system_clock::time_point startedAt)
{
    auto since = std::chrono::system_clock::now() - startedAt;
    if (since < std::chrono::system_clock::duration::zero())
        since = std::chrono::system_clock::duration::zero();
    return std::chrono::steady_clock::now()
        - std::chrono::duration_cast<std::chrono::steady_clock::duration>(since);
}

} // namespace

KernelMetrics::KernelMetrics(prometheus::Registry& registry, DatabaseImpl* db, int poolMaxSessions,
    std::chrono::system_clock::time_point startedAt)
    : _registry(registry)
    , _db(db)
    , _started(steadyStart(startedAt))
    , _inUse(poolSessions(registry).Add({{"state", "in_use"}}))
    , _idle(poolSessions(registry).Add({{"state", "idle"}}))
    , _uptime(prometheus::BuildGauge()
                  .Name("clinicd_uptime_seconds")
                  .Help("Seconds since the daemon's kernel started")
                  .Register(registry)
                  .Add({}))
{
    prometheus::BuildGauge()
        .Name("clinicd_db_pool_max_sessions")
        .Help("Most database sessions the pool opens (db.pool.max)")
        .Register(registry)
        .Add({})
        .Set(poolMaxSessions);
    // The info-metric idiom: the value is always 1, the facts are the labels,
    // so dashboards can join it onto any series.
    prometheus::BuildGauge()
        .Name("clinicd_build_info")
        .Help("Always 1; the version label is the running clinicd version")
        .Register(registry)
        .Add({{"version", CLINICD_VERSION}})
        .Set(1);
    refresh();
}

void KernelMetrics::refresh()
{
    if (_db) {
        _inUse.Set(_db->used());
        _idle.Set(_db->idle());
    }
    _uptime.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - _started).count());
    refreshJobs();
}

void KernelMetrics::setJobs(JobQueueImpl* jobs)
{
    std::lock_guard<std::mutex> lock(_jobsMutex);
    _jobs = jobs;
    if (!_jobs || _jobsByState)
        return;
    _jobsByState
        = &prometheus::BuildGauge()
               .Name("clinicd_jobs")
               .Help("Durable jobs in the database, by kind and state (queued, running, done, failed)")
               .Register(_registry);
    _oldestDue = &prometheus::BuildGauge()
                      .Name("clinicd_jobs_oldest_due_age_seconds")
                      .Help("How long the oldest due queued job of a kind this daemon runs has waited; 0 when none is due")
                      .Register(_registry)
                      .Add({});
}

void KernelMetrics::refreshJobs()
{
    std::lock_guard<std::mutex> lock(_jobsMutex);
    if (!_jobs)
        return;
    try {
        JobStats stats = _jobs->stats();
        for (auto& [key, gauge] : _jobGauges)
            gauge->Set(0);
        for (const auto& row : stats.rows) {
            auto& gauge = _jobGauges[{row.kind, row.state}];
            if (!gauge)
                gauge = &_jobsByState->Add({{"kind", row.kind}, {"state", row.state}});
            gauge->Set(static_cast<double>(row.count));
        }
        _oldestDue->Set(stats.oldestDueAgeSeconds);
    } catch (const Poco::Exception& e) {
        Poco::Logger::get("clinicd.metrics").warning("cannot read the job gauges: %s", e.displayText());
    } catch (const std::exception& e) {
        Poco::Logger::get("clinicd.metrics").warning("cannot read the job gauges: %s", std::string(e.what()));
    }
}

} // namespace clinic
