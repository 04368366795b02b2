#pragma once

#include <string>

#include "ProcessMetrics.h"

namespace prometheus {
class Registry;
}

namespace clinic {
class ServiceRegistry;
}

namespace clinic::metrics {

/// One scrape's worth of text: the daemon's registry plus the process
/// metrics, in the Prometheus text format 0.0.4. Both listeners (the main
/// HTTP server and the optional loopback port) serve exactly this.
class Exposition {
public:
    /// The Content-Type Prometheus expects for the text format.
    static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

    Exposition(prometheus::Registry& registry, ServiceRegistry& services);

    /// Refreshes the kernel's scrape-time gauges (if the kernel offers
    /// "kernel.metrics.refresh"), then serializes. Safe from any thread.
    std::string render() const;

private:
    prometheus::Registry& _registry;
    ServiceRegistry& _services;
    ProcessMetrics _process;
};

} // namespace clinic::metrics
