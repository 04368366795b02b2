// Serves the daemon's prometheus-cpp registry, plus process metrics, as
// GET /metrics on the main HTTP server and, when metrics.port is set, on a
// loopback-only listener as well. The registry itself belongs to the kernel:
// every plugin publishes into it through host.metrics(), and this plugin only
// renders it (see README.md for the naming convention).

#include <memory>
#include <stdexcept>
#include <string>

#include "Exposition.h"
#include "LocalMetricsServer.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class MetricsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "metrics"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> urlPrefixes() const override { return {"/api/v1/metrics", "/metrics"}; }

    void start(clinic::Host& host) override
    {
        // Read before anything is registered, so a bad value fails the plugin
        // (and readiness names it) without leaving half a plugin behind.
        const int port = host.config().getInt("metrics.port", 0);
        if (port < 0 || port > 65535)
            throw std::invalid_argument(
                "metrics.port: " + std::to_string(port) + " is not a port from 1 to 65535 (0: off)");

        auto exposition = std::make_shared<clinic::metrics::Exposition>(host.metrics(), host.services());
        // Public: Prometheus scrapes without credentials, and nothing served here
        // names a patient, a user or an id (labels are bounded by convention).
        host.router().add({"GET", "/metrics", clinic::Access::open(),
            [exposition](clinic::Request&) {
                return clinic::Response::text(
                    exposition->render(), clinic::metrics::Exposition::kContentType);
            },
            "Prometheus text exposition of the daemon's metrics",
            clinic::Contract().returnsText(200, clinic::metrics::Exposition::kContentType,
                "every metric in the Prometheus text format")});

        if (port > 0) {
            _local = std::make_unique<clinic::metrics::LocalMetricsServer>(
                port, [exposition] { return exposition->render(); });
            _local->start();
            host.logger().information("serving /metrics on 127.0.0.1:%d as well", _local->port());
        }
    }

    void stop() override
    {
        if (_local)
            _local->stop();
        _local.reset();
    }

private:
    std::unique_ptr<clinic::metrics::LocalMetricsServer> _local;
};

} // namespace

CLINIC_PLUGIN(MetricsPlugin)
