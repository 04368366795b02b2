#pragma once

#include <vector>

#include <prometheus/metric_family.h>

namespace clinic::metrics {

/// The standard process_* metrics (the names every Prometheus client library
/// exports, so stock dashboards and alerts work unchanged), read from
/// /proc/self at the moment of the scrape.
class ProcessMetrics {
public:
    /// process_cpu_seconds_total, process_resident_memory_bytes,
    /// process_virtual_memory_bytes, process_open_fds, process_max_fds,
    /// process_start_time_seconds. A figure /proc cannot give is left out
    /// rather than reported as 0, so an alert on it never fires on a lie.
    std::vector<prometheus::MetricFamily> collect() const;
};

} // namespace clinic::metrics
