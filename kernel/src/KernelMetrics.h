#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace prometheus {
class Gauge;
class Registry;
template<typename T> class Family;
} // namespace prometheus

namespace clinic {

class DatabaseImpl;
class JobQueueImpl;

/// The daemon gauges only the kernel can read: the database session pool, the
/// build and the uptime. They are read when Prometheus scrapes, not on a timer,
/// so an idle daemon does no metrics work; the metrics plugin calls refresh()
/// through the "kernel.metrics.refresh" service right before it serializes.
class KernelMetrics {
public:
    /// db may be null (the daemon has no database yet): the pool gauges then stay 0.
    KernelMetrics(prometheus::Registry& registry, DatabaseImpl* db, int poolMaxSessions,
        std::chrono::system_clock::time_point startedAt);

    /// Sets the pool and uptime gauges to their values now. Safe from any thread.
    void refresh();

    /// Adds the job gauges (clinicd_jobs, clinicd_jobs_oldest_due_age_seconds),
    /// read with one GROUP BY over an index at each refresh.
    void setJobs(JobQueueImpl* jobs);

private:
    void refreshJobs();

    prometheus::Registry& _registry;
    DatabaseImpl* _db;
    std::chrono::steady_clock::time_point _started;
    prometheus::Gauge& _inUse;
    prometheus::Gauge& _idle;
    prometheus::Gauge& _uptime;
    JobQueueImpl* _jobs = nullptr;
    prometheus::Family<prometheus::Gauge>* _jobsByState = nullptr;
    prometheus::Gauge* _oldestDue = nullptr;
    std::mutex _jobsMutex;
    // Every {kind, state} seen so far: one that empties reads 0, not its last count.
    std::map<std::pair<std::string, std::string>, prometheus::Gauge*> _jobGauges;
};

} // namespace clinic
