#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include "clinic/Http.h"
#include "http/RouterImpl.h"

namespace prometheus {
class Registry;
}

namespace clinic {

struct HttpOptions {
    std::string address = "127.0.0.1";
    int port = 8080;
    int threads = 16;
    int queue = 128;
    std::size_t maxBodyBytes = 1048576;
    int timeoutSeconds = 30;
    int keepAliveSeconds = 10;
    std::string tlsCert;
    std::string tlsKey;
    /// Browser origins allowed to call the API (http.cors_origins); empty:
    /// no CORS headers and no preflight answers.
    std::set<std::string> corsOrigins;
};

struct HttpMetrics;

/// Fills request.caller from its credentials, or throws HttpError 401. Set by
/// the identity service; without one, only public routes answer.
using Authenticator = std::function<void(Request&)>;

/// The daemon's one HTTP(S) server: routing, limits, the error envelope,
/// request ids, security headers, access checks and request metrics.
class HttpService {
public:
    HttpService(const RouterImpl& router, prometheus::Registry& registry, HttpOptions options);
    ~HttpService();

    /// Binds and starts serving. Throws if the address is taken.
    void start();
    /// Stops accepting, lets in-flight requests finish for up to drainSeconds.
    /// Returns the number of connections still open when it gave up.
    int stop(int drainSeconds);

    /// The bound port (useful when http.port is 0).
    int port() const { return _port; }
    bool secure() const { return !_options.tlsCert.empty(); }

    void setAuthenticator(Authenticator authenticator) { _authenticator = std::move(authenticator); }
    /// Called when an authenticated caller's role is refused by a route's
    /// declaration (the 403), so the attempt can be audited.
    void setDeniedHook(std::function<void(const Request&)> hook) { _onDenied = std::move(hook); }

    /// Answers one request; public for the kernel's request handler.
    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
    /// Thrown inside handle() once a CORS preflight answer is ready.
    struct Preflight { };
    /// The request's Origin if CORS is on and it is listed.
    std::optional<std::string> corsOrigin(const Request& request) const;

    const RouterImpl& _router;
    HttpOptions _options;
    std::unique_ptr<HttpMetrics> _metrics;
    std::unique_ptr<Poco::ThreadPool> _threads;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    Authenticator _authenticator;
    std::function<void(const Request&)> _onDenied;
    int _port = 0;
};

/// The error envelope body for an error (exposed for tests and tools).
std::string errorEnvelope(const HttpError& error, const std::string& requestId);

} // namespace clinic
