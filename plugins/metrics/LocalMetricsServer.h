#pragma once

#include <functional>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
} // namespace Poco

namespace clinic::metrics {

/// A second, plain-HTTP listener on 127.0.0.1 that answers only GET /metrics.
/// For sites whose main port is HTTPS, or public, and whose Prometheus (or a
/// node exporter textfile job) runs on the same machine: scraping needs no
/// certificate and the figures never leave the host.
class LocalMetricsServer {
public:
    /// render produces the body; it is called on the listener's own threads.
    LocalMetricsServer(int port, std::function<std::string()> render);
    ~LocalMetricsServer();
    LocalMetricsServer(const LocalMetricsServer&) = delete;
    LocalMetricsServer& operator=(const LocalMetricsServer&) = delete;

    /// Binds and starts serving; throws Poco::Net::NetException if the port is taken.
    void start();
    /// Stops accepting, closes open connections and joins the threads.
    void stop();
    /// The bound port (the configured one; useful when it was 0 in tests).
    int port() const { return _port; }

private:
    int _port;
    std::function<std::string()> _render;
    std::unique_ptr<Poco::ThreadPool> _threads;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
};

} // namespace clinic::metrics
