#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clinic/Http.h"
#include "http/Exchange.h"
#include "http/HttpOptions.h"
#include "http/RouterImpl.h"

namespace prometheus {
class Registry;
}

namespace clinic {

struct HttpMetrics;
class Listener;
class Reactor;
class TlsContext;
class WorkerPool;

/// Fills request.caller from its credentials, or throws HttpError 401. Set by
/// the identity service; without one, only public routes answer.
using Authenticator = std::function<void(Request&)>;

/// The daemon's one HTTP(S) server: routing, limits, the error envelope,
/// request ids, security headers, access checks and request metrics. The
/// sockets belong to a Reactor; this class holds the steps a request goes
/// through and the answers it gets.
class HttpService {
public:
    HttpService(const RouterImpl& router, prometheus::Registry& registry, HttpOptions options);
    ~HttpService();

    /// Binds and starts serving. Throws if the address is taken or TLS
    /// cannot load its certificate and key.
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

    using Headers = std::vector<std::pair<std::string, std::string>>;

    /// Reactor: a request whose head was read, with its request id.
    std::unique_ptr<Exchange> open(
        std::uint64_t connection, RequestHead head, const std::string& client, bool secure);
    /// Worker: route, caller, role and declared body size. Either answers
    /// (exchange.answer) or asks the reactor for the body (Next::ReadBody);
    /// a request without a body is answered here in the same step.
    void admit(Exchange& exchange);
    /// Worker: runs the handler of an admitted request whose body was read.
    void run(Exchange& exchange);
    /// Reactor: the answer to a request the server refuses by itself (framing,
    /// limits, deadlines, load); the connection closes after it. exchange is
    /// null when no head was read.
    std::string refuse(Exchange* exchange, const FramingError& error, const std::string& client, bool secure,
        const Headers& extra, bool countAsRequest);

private:
    Response admitOrAnswer(Exchange& exchange);
    Response guarded(Exchange& exchange, const std::function<Response()>& step);
    /// The error envelope, or the answer of the renderer a plugin declared
    /// for the request's path (Router::renderErrors).
    Response errorAnswer(const HttpError& error, const Request& request) const;
    /// The response bytes; records the request's metrics and log line.
    std::string render(Exchange& exchange, Response response);
    /// The request's Origin if CORS is on and it is listed.
    std::optional<std::string> corsOrigin(const Request& request) const;

    const RouterImpl& _router;
    HttpOptions _options;
    std::unique_ptr<HttpMetrics> _metrics;
    std::unique_ptr<Listener> _listener;
    std::unique_ptr<TlsContext> _tls;
    std::unique_ptr<WorkerPool> _workers;
    std::unique_ptr<Reactor> _reactor;
    Authenticator _authenticator;
    std::function<void(const Request&)> _onDenied;
    std::atomic<bool> _draining {false};
    int _port = 0;
};

/// The error envelope body for an error (exposed for tests and tools).
std::string errorEnvelope(const HttpError& error, const std::string& requestId);

} // namespace clinic
