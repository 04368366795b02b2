#include "http/HttpService.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "clinic/Json.h"
#include "log/Logging.h"

namespace clinic {

struct HttpMetrics {
    prometheus::Family<prometheus::Counter>& requests;
    prometheus::Family<prometheus::Histogram>& latency;
    prometheus::Gauge& inFlight;
    prometheus::Counter& bodyRejections;

    explicit HttpMetrics(prometheus::Registry& r)
        : requests(prometheus::BuildCounter()
                       .Name("clinicd_http_requests_total")
                       .Help("HTTP requests answered, by route template, method and status")
                       .Register(r))
        , latency(prometheus::BuildHistogram()
                      .Name("clinicd_http_request_duration_seconds")
                      .Help("Time from request start to response sent, by route template and method")
                      .Register(r))
        , inFlight(prometheus::BuildGauge()
                       .Name("clinicd_http_requests_in_flight")
                       .Help("HTTP requests being answered now")
                       .Register(r)
                       .Add({}))
        , bodyRejections(prometheus::BuildCounter()
                             .Name("clinicd_http_body_rejections_total")
                             .Help("Requests refused because the body was over the size limit")
                             .Register(r)
                             .Add({}))
    {
    }
};

namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets
    = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string newRequestId()
{
    thread_local std::mt19937_64 rng(std::random_device {}());
    static const char* hex = "0123456789abcdef";
    std::string id(16, '0');
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i) {
        id[static_cast<std::size_t>(i)] = hex[v & 0xF];
        v >>= 4;
    }
    return id;
}

/// A client-sent id is echoed only if it is short and plain, so it is safe
/// in headers and log lines.
bool acceptableRequestId(const std::string& id)
{
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
    });
}

std::string metricMethod(const std::string& method)
{
    static const std::set<std::string> known = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    return known.count(method) ? method : "OTHER";
}

class KernelRequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit KernelRequestHandler(HttpService& service)
        : _service(service)
    {
    }
    void handleRequest(
        Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
    {
        _service.handle(request, response);
    }

private:
    HttpService& _service;
};

class KernelHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit KernelHandlerFactory(HttpService& service)
        : _service(service)
    {
    }
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
    {
        return new KernelRequestHandler(_service);
    }

private:
    HttpService& _service;
};

/// Reads at most limit bytes of body; returns false if there was more.
bool readBody(std::istream& in, std::size_t limit, std::string& out)
{
    char buffer[16384];
    while (in) {
        in.read(buffer, sizeof(buffer));
        std::streamsize n = in.gcount();
        if (n <= 0)
            break;
        if (out.size() + static_cast<std::size_t>(n) > limit)
            return false;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

/// Reads and drops up to maxBytes of what is left of a refused body. Closing
/// with unread data in the socket makes the kernel send a reset, which can
/// destroy the 413 before the client reads it; a bounded drain lets an honest
/// client see the answer, and a huge body still just gets the connection closed.
void discardBody(std::istream& in, std::size_t maxBytes)
{
    char buffer[16384];
    std::size_t dropped = 0;
    try {
        while (in && dropped < maxBytes) {
            in.read(buffer, sizeof(buffer));
            std::streamsize n = in.gcount();
            if (n <= 0)
                break;
            dropped += static_cast<std::size_t>(n);
        }
    } catch (const Poco::Exception&) {
        // A timeout or a reset while draining: the connection closes anyway.
    }
}

std::size_t drainAllowance(std::size_t limit)
{
    constexpr std::size_t kMiB = 1024 * 1024;
    return std::clamp(limit * 4, 16 * kMiB, 64 * kMiB);
}

} // namespace

std::string errorEnvelope(const HttpError& error, const std::string& requestId)
{
    auto inner = makeObject();
    inner->set("code", error.code());
    inner->set("message", std::string(error.what()));
    inner->set("details", error.details() ? error.details() : makeObject());
    inner->set("request_id", requestId);
    auto outer = makeObject();
    outer->set("error", inner);
    return toJson(outer);
}

HttpService::HttpService(const RouterImpl& router, prometheus::Registry& registry, HttpOptions options)
    : _router(router)
    , _options(std::move(options))
    , _metrics(std::make_unique<HttpMetrics>(registry))
{
}

HttpService::~HttpService()
{
    if (_server)
        stop(0);
}

void HttpService::start()
{
    Poco::Net::SocketAddress address(_options.address, static_cast<Poco::UInt16>(_options.port));
    Poco::Net::ServerSocket socket;
    if (!_options.tlsCert.empty()) {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE,
            _options.tlsKey, _options.tlsCert, "", Poco::Net::Context::VERIFY_NONE, 9, false,
            "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:!aNULL:!MD5:!RC4:!3DES");
        context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3
            | Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        context->enableSessionCache(true, "clinicd");
        socket = Poco::Net::SecureServerSocket(address, 64, context);
    } else {
        socket = Poco::Net::ServerSocket(address, 64);
    }
    _port = socket.address().port();

    Poco::AutoPtr<Poco::Net::HTTPServerParams> params(new Poco::Net::HTTPServerParams);
    params->setMaxThreads(_options.threads);
    params->setMaxQueued(_options.queue);
    params->setTimeout(Poco::Timespan(_options.timeoutSeconds, 0));
    params->setKeepAlive(_options.keepAliveSeconds > 0);
    params->setKeepAliveTimeout(Poco::Timespan(std::max(1, _options.keepAliveSeconds), 0));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("clinicd");
    _threads = std::make_unique<Poco::ThreadPool>(2, _options.threads, 60);
    _server
        = std::make_unique<Poco::Net::HTTPServer>(new KernelHandlerFactory(*this), *_threads, socket, params);
    _server->start();
}

int HttpService::stop(int drainSeconds)
{
    if (!_server)
        return 0;
    _server->stopAll(false);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(drainSeconds);
    while (_server->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int left = _server->currentConnections();
    if (left > 0)
        _server->stopAll(true);
    _threads->joinAll();
    _server.reset();
    return left;
}

std::optional<std::string> HttpService::corsOrigin(const Request& request) const
{
    if (_options.corsOrigins.empty())
        return std::nullopt;
    auto origin = request.header("origin");
    if (!origin || !_options.corsOrigins.count(*origin))
        return std::nullopt;
    return origin;
}

void HttpService::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto started = std::chrono::steady_clock::now();
    _metrics->inFlight.Increment();
    std::string requestId = request.get("X-Request-ID", "");
    if (!acceptableRequestId(requestId))
        requestId = newRequestId();
    RequestScope scope(requestId);
    Poco::Logger& log = Poco::Logger::get("clinicd.http");

    Request req;
    req.method = request.getMethod();
    req.requestId = requestId;
    req.clientAddress = request.clientAddress().host().toString();
    std::string routeLabel = "unmatched";
    Response res;
    bool closeConnection = false;

    try {
        Poco::URI uri;
        try {
            uri = Poco::URI(request.getURI());
            req.path = uri.getPath();
            for (const auto& [k, v] : uri.getQueryParameters())
                req.queryParams.emplace(k, v);
        } catch (const Poco::Exception&) {
            throw HttpError(400, "BAD_REQUEST", "the request target is not a valid URI");
        }
        for (const auto& [name, value] : request) {
            std::string lower = name;
            std::transform(lower.begin(), lower.end(), lower.begin(),
                [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            req.headers[lower] = value;
        }

        RouteMatch match = _router.match(req.method, req.path);
        std::size_t limit = _options.maxBodyBytes;
        if (match.route) {
            // Labelled before the body checks, so a 413 counts against its route.
            routeLabel = match.route->route.pattern;
            if (match.route->route.maxBodyBytes)
                limit = match.route->route.maxBodyBytes;
        }
        if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(limit)) {
            closeConnection = true;
            _metrics->bodyRejections.Increment();
            discardBody(request.stream(), drainAllowance(limit));
            throw HttpError(413, "PAYLOAD_TOO_LARGE",
                "the request body is over the limit of " + std::to_string(limit) + " bytes");
        }
        try {
            // A request with neither Content-Length nor chunked encoding has no
            // body (RFC 9112 6.3); POCO would read such an OPTIONS or POST
            // to the end of the connection and hang until the timeout.
            const bool hasBody = request.hasContentLength() || request.getChunkedTransferEncoding();
            if (hasBody && !readBody(request.stream(), limit, req.body)) {
                closeConnection = true;
                _metrics->bodyRejections.Increment();
                discardBody(request.stream(), drainAllowance(limit));
                throw HttpError(413, "PAYLOAD_TOO_LARGE",
                    "the request body is over the limit of " + std::to_string(limit) + " bytes");
            }
        } catch (const Poco::TimeoutException&) {
            closeConnection = true;
            throw HttpError(408, "REQUEST_TIMEOUT", "the request body did not arrive in time");
        }

        if (!match.route) {
            if (match.allowedMethods.empty())
                throw HttpError::notFound("no such resource: " + req.path);
            // A CORS preflight from an allowed origin: answered here, before
            // any access check, as browsers send it without credentials.
            if (req.method == "OPTIONS" && corsOrigin(req) && req.header("access-control-request-method")) {
                std::string allow;
                for (const auto& m : match.allowedMethods)
                    allow += (allow.empty() ? "" : ", ") + m;
                res = Response::noContent();
                res.headers.emplace_back("Access-Control-Allow-Methods", allow);
                res.headers.emplace_back(
                    "Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID");
                res.headers.emplace_back("Access-Control-Max-Age", "600");
                throw Preflight {};
            }
            HttpError error(405, "METHOD_NOT_ALLOWED", req.method + " is not allowed here");
            std::string allow;
            for (const auto& m : match.allowedMethods)
                allow += (allow.empty() ? "" : ", ") + m;
            error.headers().emplace_back("Allow", allow);
            throw error;
        }
        const Route& route = match.route->route;
        routeLabel = route.pattern;
        req.routePattern = route.pattern;
        req.pathParams = std::move(match.params);

        if (!route.access.isPublic) {
            if (!_authenticator)
                throw HttpError(401, "UNAUTHENTICATED", "sign in first");
            _authenticator(req);
            if (!req.caller.authenticated)
                throw HttpError(401, "UNAUTHENTICATED", "sign in first");
            if (!route.access.roles.empty() && !route.access.roles.count(req.caller.role)) {
                if (_onDenied)
                    _onDenied(req);
                throw HttpError::forbidden();
            }
        }
        res = route.handler(req);
    } catch (const Preflight&) {
        routeLabel = "preflight";
    } catch (const HttpError& e) {
        res = Response::text(errorEnvelope(e, requestId), "application/json; charset=utf-8", e.status());
        res.headers.insert(res.headers.end(), e.headers().begin(), e.headers().end());
        if (e.status() == 401)
            res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"clinicd\"");
    } catch (const Poco::Exception& e) {
        log.error("%s %s failed: %s", req.method, req.path, e.displayText());
        res = Response::text(
            errorEnvelope(HttpError(500, "INTERNAL", "internal error; quote the request id"), requestId),
            "application/json; charset=utf-8", 500);
    } catch (const std::exception& e) {
        log.error("%s %s failed: %s", req.method, req.path, std::string(e.what()));
        res = Response::text(
            errorEnvelope(HttpError(500, "INTERNAL", "internal error; quote the request id"), requestId),
            "application/json; charset=utf-8", 500);
    } catch (...) {
        log.error("%s %s failed with a non-standard exception", req.method, req.path);
        res = Response::text(
            errorEnvelope(HttpError(500, "INTERNAL", "internal error; quote the request id"), requestId),
            "application/json; charset=utf-8", 500);
    }

    try {
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(res.status));
        response.set("X-Request-ID", requestId);
        response.set("X-Content-Type-Options", "nosniff");
        if (req.path.rfind("/api/", 0) == 0 || req.path.rfind("/health/", 0) == 0)
            response.set("Cache-Control", "no-store");
        if (secure())
            response.set("Strict-Transport-Security", "max-age=31536000");
        if (auto origin = corsOrigin(req)) {
            response.set("Access-Control-Allow-Origin", *origin);
            response.set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After");
            response.set("Vary", "Origin");
        }
        for (const auto& [name, value] : res.headers)
            response.set(name, value);
        if (closeConnection)
            response.setKeepAlive(false);
        if (res.status == 204 || res.status == 304) {
            response.setContentLength(0);
            response.send();
        } else {
            response.setContentType(res.contentType);
            response.sendBuffer(res.body.data(), res.body.size());
        }
    } catch (const Poco::Exception& e) {
        log.warning("could not send the response: %s", e.displayText());
    }

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string method = metricMethod(req.method);
    _metrics->requests
        .Add({{"route", routeLabel}, {"method", method}, {"status", std::to_string(res.status)}})
        .Increment();
    _metrics->latency.Add({{"route", routeLabel}, {"method", method}}, kLatencyBuckets).Observe(seconds);
    _metrics->inFlight.Decrement();

    const std::string line = req.method + " " + req.path + " " + std::to_string(res.status) + " "
        + std::to_string(static_cast<long long>(seconds * 1e6)) + "us";
    if (res.status >= 500)
        log.error(line);
    else if (res.status >= 400)
        log.information(line);
    else
        log.debug(line);
}

} // namespace clinic
