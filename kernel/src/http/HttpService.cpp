#include "http/HttpService.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <set>

#include <Poco/Data/DataException.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "clinic/Json.h"
#include "db/DatabaseFault.h"
#include "http/HttpMetrics.h"
#include "http/Listener.h"
#include "http/Reactor.h"
#include "http/StreamChannel.h"
#include "http/TlsContext.h"
#include "http/WorkerPool.h"
#include "log/Logging.h"

namespace clinic {

namespace {

/// The target without its query: a query may carry what a client should have
/// sent in a header (a token, a reason), and the log keeps paths only.
std::string pathOf(const std::string& target)
{
    return target.substr(0, target.find('?'));
}

const prometheus::Histogram::BucketBoundaries kLatencyBuckets
    = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const char* const kJson = "application/json; charset=utf-8";

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

const char* reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 423:
        return "Locked";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/// A header value from a handler goes out on one line whatever it holds.
std::string oneLine(const std::string& value)
{
    std::string out = value;
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }, ' ');
    return out;
}

/// The status line and the headers every answer carries.
std::string startAnswer(int status, const std::string& requestId, bool secure)
{
    std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
    out += "Date: " + Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::HTTP_FORMAT)
        + "\r\n";
    out += "X-Request-ID: " + requestId + "\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
    if (secure)
        out += "Strict-Transport-Security: max-age=31536000\r\n";
    return out;
}

Response errorResponse(const HttpError& e, const std::string& requestId)
{
    Response res = Response::text(errorEnvelope(e, requestId), kJson, e.status());
    res.headers.insert(res.headers.end(), e.headers().begin(), e.headers().end());
    if (e.status() == 401)
        res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"clinicd\"");
    return res;
}

std::string allowList(const std::set<std::string>& methods)
{
    std::string allow;
    for (const auto& m : methods)
        allow += (allow.empty() ? "" : ", ") + m;
    return allow;
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
    if (_reactor)
        stop(0);
}

void HttpService::start()
{
    // A client that vanishes mid-answer must cost an error code, not the process.
    ::signal(SIGPIPE, SIG_IGN);
    const long openFiles = raiseOpenFilesLimit();
    Poco::Logger& log = Poco::Logger::get("clinicd.http");
    log.information("open files limit: %ld (http.max_connections %d)", openFiles, _options.maxConnections);
    if (openFiles > 0 && openFiles < _options.maxConnections + 256L)
        log.warning(
            "the open files limit %ld is below http.max_connections + 256: raise LimitNOFILE", openFiles);
    if (!_options.tlsCert.empty())
        _tls = std::make_unique<TlsContext>(_options.tlsCert, _options.tlsKey);
    _listener = std::make_unique<Listener>(_options.address, _options.port, 1024);
    _port = _listener->port();
    _workers = std::make_unique<WorkerPool>(_options.threads, _options.queue);
    _reactor = std::make_unique<Reactor>(*this, _options, *_metrics, *_listener, _tls.get(), *_workers);
    _reactor->start();
}

int HttpService::stop(int drainSeconds)
{
    if (!_reactor)
        return 0;
    _draining = true;
    const int left = _reactor->stop(drainSeconds);
    // After the reactor: a worker that finishes now finds no connection to answer on.
    _workers->stop();
    _reactor.reset();
    _workers.reset();
    _listener.reset();
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

std::unique_ptr<Exchange> HttpService::open(
    std::uint64_t connection, RequestHead head, const std::string& client, bool secure)
{
    auto exchange = std::make_unique<Exchange>(connection, std::move(head), _metrics->inFlight);
    std::string requestId = exchange->head.field("x-request-id").value_or("");
    exchange->request.requestId = acceptableRequestId(requestId) ? requestId : newRequestId();
    exchange->request.method = exchange->head.method;
    // The address throttling and the audit see; the connection limits stay
    // with the peer, which is what holds the sockets.
    exchange->request.clientAddress = _options.trustedProxies.client(client, exchange->head);
    exchange->secure = secure;
    return exchange;
}

Response HttpService::errorAnswer(const HttpError& error, const Request& req) const
{
    if (const ErrorRenderer* render = _router.errorRenderer(req.path)) {
        try {
            Response res = (*render)(error, req);
            res.status = error.status();
            res.headers.insert(res.headers.end(), error.headers().begin(), error.headers().end());
            if (error.status() == 401)
                res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"clinicd\"");
            return res;
        } catch (const std::exception& e) {
            Poco::Logger::get("clinicd.http")
                .error("%s %s: the error renderer failed: %s", escapeForLog(req.method),
                    escapeForLog(req.path), escapeForLog(e.what()));
        }
    }
    return errorResponse(error, req.requestId);
}

Response HttpService::guarded(Exchange& exchange, const std::function<Response()>& step)
{
    Request& req = exchange.request;
    Poco::Logger& log = Poco::Logger::get("clinicd.http");
    try {
        return step();
    } catch (const HttpError& e) {
        return errorAnswer(e, req);
    } catch (const Poco::Data::SessionPoolExhaustedException& e) {
        // Every pooled session busy (db.pool.max): a load the client may retry
        // into, not a fault of the server's.
        log.warning("%s %s: %s", escapeForLog(req.method), escapeForLog(req.path), e.displayText());
        HttpError busy(503, "DATABASE_BUSY", "the database is busy; try again shortly");
        busy.headers().emplace_back("Retry-After", "1");
        return errorAnswer(busy, req);
    } catch (const std::exception& e) {
        // A read on a lost database, or a file that did not fit on the disk:
        // 503 in the envelope, as writes through Database::transact answer.
        const DatabaseFault fault = databaseFaultOf(e);
        const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
        const std::string why = pe ? pe->displayText() : std::string(e.what());
        if (fault != DatabaseFault::None) {
            log.warning("%s %s: %s", escapeForLog(req.method), escapeForLog(req.path), escapeForLog(why));
            return errorAnswer(faultAnswer(fault), req);
        }
        log.error("%s %s failed: %s", escapeForLog(req.method), escapeForLog(req.path), escapeForLog(why));
    } catch (...) {
        log.error(
            "%s %s failed with a non-standard exception", escapeForLog(req.method), escapeForLog(req.path));
    }
    return errorAnswer(HttpError(500, "INTERNAL", "internal error; quote the request id"), req);
}

void HttpService::admit(Exchange& exchange)
{
    RequestScope scope(exchange.request.requestId, escapeForLog(exchange.request.clientAddress));
    Response res = guarded(exchange, [&] { return admitOrAnswer(exchange); });
    if (exchange.next == Exchange::Next::ReadBody)
        return;
    // A refused body is never read: the connection cannot be reused after it.
    if (exchange.head.hasBody())
        exchange.close = true;
    exchange.answer = render(exchange, std::move(res));
}

Response HttpService::admitOrAnswer(Exchange& exchange)
{
    Request& req = exchange.request;
    try {
        Poco::URI uri(exchange.head.target);
        req.path = uri.getPath();
        for (const auto& [k, v] : uri.getQueryParameters())
            req.queryParams.emplace(k, v);
    } catch (const Poco::Exception&) {
        throw HttpError(400, "BAD_REQUEST", "the request target is not a valid URI");
    }
    for (const auto& [name, value] : exchange.head.fields) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
            [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto [it, added] = req.headers.emplace(lower, value);
        if (!added)
            it->second += ", " + value;
    }

    // HEAD is GET without the body (RFC 9110 9.3.2).
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    RouteMatch match = _router.match(method, req.path);
    if (!match.route) {
        if (match.allowedMethods.empty())
            throw HttpError::notFound("no such resource: " + req.path);
        // A CORS preflight from an allowed origin: answered here, before
        // any access check, as browsers send it without credentials.
        if (req.method == "OPTIONS" && corsOrigin(req) && req.header("access-control-request-method")) {
            exchange.routeLabel = "preflight";
            Response res = Response::noContent();
            res.headers.emplace_back("Access-Control-Allow-Methods", allowList(match.allowedMethods));
            res.headers.emplace_back(
                "Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID");
            res.headers.emplace_back("Access-Control-Max-Age", "600");
            return res;
        }
        HttpError error(405, "METHOD_NOT_ALLOWED", req.method + " is not allowed here");
        error.headers().emplace_back("Allow", allowList(match.allowedMethods));
        throw error;
    }
    const Route& route = match.route->route;
    exchange.routeLabel = route.pattern;
    exchange.route = &route;
    req.routePattern = route.pattern;
    req.pathParams = std::move(match.params);

    if (!route.access.isPublic) {
        if (!_authenticator)
            throw HttpError(401, "UNAUTHENTICATED", "sign in first");
        _authenticator(req);
        if (!req.caller.authenticated)
            throw HttpError(401, "UNAUTHENTICATED", "sign in first");
        RequestScope::identify(escapeForLog(req.caller.username));
        if (!route.access.roles.empty() && !route.access.roles.count(req.caller.role)) {
            if (_onDenied)
                _onDenied(req);
            throw HttpError::forbidden();
        }
    }
    const std::size_t limit = route.maxBodyBytes ? route.maxBodyBytes : _options.maxBodyBytes;
    if (exchange.head.framing == BodyFraming::Length && exchange.head.contentLength > limit) {
        _metrics->bodyRejections.Increment();
        throw HttpError(413, "PAYLOAD_TOO_LARGE",
            "the request body is over the limit of " + std::to_string(limit) + " bytes");
    }
    if (exchange.head.hasBody()) {
        exchange.bodyLimit = limit;
        exchange.next = Exchange::Next::ReadBody;
        return Response();
    }
    return route.handler(req);
}

void HttpService::run(Exchange& exchange)
{
    RequestScope scope(exchange.request.requestId, escapeForLog(exchange.request.clientAddress),
        escapeForLog(exchange.request.caller.username));
    exchange.next = Exchange::Next::Respond;
    Response res = guarded(exchange, [&] { return exchange.route->handler(exchange.request); });
    exchange.answer = render(exchange, std::move(res));
}

std::string HttpService::render(Exchange& exchange, Response res)
{
    const Request& req = exchange.request;
    // An event stream's body runs until the connection closes.
    const bool isStream = static_cast<bool>(res.onStream);
    if (_draining || isStream)
        exchange.close = true;
    std::string out = startAnswer(res.status, req.requestId, exchange.secure);
    if (isStream || req.path.rfind("/api/", 0) == 0 || req.path.rfind("/health/", 0) == 0)
        out += "Cache-Control: no-store\r\n";
    if (auto origin = corsOrigin(req)) {
        out += "Access-Control-Allow-Origin: " + oneLine(*origin) + "\r\n";
        out += "Access-Control-Expose-Headers: X-Request-ID, Retry-After\r\n";
        out += "Vary: Origin\r\n";
    }
    for (const auto& [name, value] : res.headers)
        out += name + ": " + oneLine(value) + "\r\n";
    const bool noBody = res.status == 204 || res.status == 304;
    if (!noBody) {
        if (!res.contentType.empty())
            out += "Content-Type: " + oneLine(res.contentType) + "\r\n";
        if (!isStream)
            out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
    }
    if (exchange.close)
        out += "Connection: close\r\n";
    else if (exchange.head.minorVersion == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!noBody && !isStream && req.method != "HEAD")
        out += res.body;

    const double seconds
        = std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange.started).count();
    const std::string method = metricMethod(req.method);
    _metrics->requests
        .Add({{"route", exchange.routeLabel}, {"method", method}, {"status", std::to_string(res.status)}})
        .Increment();
    _metrics->latency.Add({{"route", exchange.routeLabel}, {"method", method}}, kLatencyBuckets)
        .Observe(seconds);
    const std::string line = escapeForLog(req.method) + " " + escapeForLog(req.path) + " "
        + std::to_string(res.status) + " " + std::to_string(static_cast<long long>(seconds * 1e6)) + "us";
    Poco::Logger& log = Poco::Logger::get("clinicd.http");
    if (res.status >= 500)
        log.error(line);
    else if (res.status >= 400)
        log.information(line);
    else
        log.debug(line);
    if (isStream && !noBody && req.method != "HEAD") {
        auto channel = std::make_shared<StreamChannel>(exchange.connection, _reactor->streamWaker());
        exchange.stream = channel;
        try {
            res.onStream(channel);
        } catch (const std::exception& e) {
            log.error("%s %s: opening the event stream failed: %s", escapeForLog(req.method),
                escapeForLog(req.path), escapeForLog(e.what()));
            channel->close();
        }
    }
    return out;
}

std::string HttpService::refuse(Exchange* exchange, const FramingError& error, const std::string& client,
    bool secure, const Headers& extra, bool countAsRequest)
{
    const std::string requestId = exchange ? exchange->request.requestId : newRequestId();
    RequestScope scope(requestId, escapeForLog(client));
    HttpError e(error.status, error.code, error.message);
    const std::string body = errorEnvelope(e, requestId);
    std::string out = startAnswer(error.status, requestId, secure);
    out += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : extra)
        out += name + ": " + value + "\r\n";
    out += std::string("Content-Type: ") + kJson + "\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    if (!exchange || exchange->head.method != "HEAD")
        out += body;

    const std::string method = exchange ? metricMethod(exchange->head.method) : "OTHER";
    const std::string route = exchange ? exchange->routeLabel : "unmatched";
    if (countAsRequest) {
        _metrics->requests
            .Add({{"route", route}, {"method", method}, {"status", std::to_string(error.status)}})
            .Increment();
        if (exchange) {
            const double seconds
                = std::chrono::duration<double>(std::chrono::steady_clock::now() - exchange->started).count();
            _metrics->latency.Add({{"route", route}, {"method", method}}, kLatencyBuckets).Observe(seconds);
        }
    }
    Poco::Logger::get("clinicd.http")
        .information("%s %s %d from %s: %s",
            exchange ? escapeForLog(exchange->head.method) : std::string("-"),
            exchange ? escapeForLog(pathOf(exchange->head.target)) : std::string("-"), error.status, client,
            error.message);
    return out;
}

} // namespace clinic
