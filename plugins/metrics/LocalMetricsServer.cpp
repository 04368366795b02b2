#include "LocalMetricsServer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include "Exposition.h"

namespace clinic::metrics {

namespace {

class ScrapeHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit ScrapeHandler(const std::function<std::string()>& render)
        : _render(render)
    {
    }

    void handleRequest(
        Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
    {
        std::string path;
        try {
            path = Poco::URI(request.getURI()).getPath();
        } catch (const Poco::Exception&) {
        }
        const bool get = request.getMethod() == "GET" || request.getMethod() == "HEAD";
        if (path != "/metrics" || !get) {
            response.setStatusAndReason(path == "/metrics" ? Poco::Net::HTTPResponse::HTTP_METHOD_NOT_ALLOWED
                                                           : Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
            if (path == "/metrics")
                response.set("Allow", "GET, HEAD");
            response.setContentType("text/plain; charset=utf-8");
            response.sendBuffer("only GET /metrics is served here\n", 33);
            return;
        }
        const std::string body = _render();
        response.setContentType(Exposition::kContentType);
        response.set("Cache-Control", "no-store");
        if (request.getMethod() == "HEAD") {
            response.setContentLength(static_cast<std::streamsize>(body.size()));
            response.send();
        } else {
            response.sendBuffer(body.data(), body.size());
        }
    }

private:
    const std::function<std::string()>& _render;
};

class ScrapeHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit ScrapeHandlerFactory(const std::function<std::string()>& render)
        : _render(render)
    {
    }
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new ScrapeHandler(_render);
    }

private:
    const std::function<std::string()>& _render;
};

} // namespace

LocalMetricsServer::LocalMetricsServer(int port, std::function<std::string()> render)
    : _port(port)
    , _render(std::move(render))
{
}

LocalMetricsServer::~LocalMetricsServer()
{
    stop();
}

void LocalMetricsServer::start()
{
    // Loopback only, by design and not by configuration: this port carries no
    // TLS and no authentication, so it must not be reachable from the network.
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(_port)), 16);
    _port = socket.address().port();
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params(new Poco::Net::HTTPServerParams);
    // One scraper (two during a Prometheus HA pair's overlap) is all this serves.
    params->setMaxThreads(2);
    params->setMaxQueued(16);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(true);
    params->setServerName("clinicd-metrics");
    _threads = std::make_unique<Poco::ThreadPool>(1, 2, 60);
    _server = std::make_unique<Poco::Net::HTTPServer>(
        new ScrapeHandlerFactory(_render), *_threads, socket, params);
    _server->start();
}

void LocalMetricsServer::stop()
{
    if (!_server)
        return;
    _server->stopAll(true);
    _threads->joinAll();
    _server.reset();
    _threads.reset();
}

} // namespace clinic::metrics
