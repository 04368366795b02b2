#pragma once

#include <chrono>

namespace prometheus {
class Gauge;
class Registry;
} // namespace prometheus

namespace clinic {

class DatabaseImpl;

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

private:
    DatabaseImpl* _db;
    std::chrono::steady_clock::time_point _started;
    prometheus::Gauge& _inUse;
    prometheus::Gauge& _idle;
    prometheus::Gauge& _uptime;
};

} // namespace clinic
