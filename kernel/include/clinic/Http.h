#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "clinic/Schema.h"

namespace clinic {

/// The authenticated caller of a request. Filled by the kernel's identity
/// service; anonymous until then.
struct Caller {
    bool authenticated = false;
    std::int64_t userId = 0;
    std::string username;
    std::string role; ///< admin, doctor, nurse, receptionist, patient
    std::int64_t patientId = 0; ///< for role patient: the patient record they are
    std::int64_t doctorId = 0; ///< for role doctor: the doctor they are
};

/// Who may call a route. Declared with the route, enforced by the kernel
/// before the handler runs.
struct Access {
    bool isPublic = false;
    std::set<std::string> roles; ///< empty and not public: any authenticated caller

    static Access open() { return Access {true, {}}; }
    static Access authenticated() { return Access {false, {}}; }
    static Access only(std::set<std::string> roles) { return Access {false, std::move(roles)}; }
};

/// A request as a handler sees it: the body is already read and size-checked.
struct Request {
    std::string method;
    std::string path; ///< decoded path, without the query
    std::string routePattern; ///< the matched pattern, e.g. /api/v1/patients/{id}
    std::map<std::string, std::string> pathParams;
    std::multimap<std::string, std::string> queryParams;
    std::map<std::string, std::string> headers; ///< names lower-cased
    std::string body;
    std::string requestId;
    std::string clientAddress;
    Caller caller;

    /// A path parameter. Throws if the route has no such parameter.
    const std::string& param(const std::string& name) const;

    /// A path parameter that must be a positive integer id; anything else is
    /// 404 NOT_FOUND (an id that cannot exist does not exist).
    std::int64_t idParam(const std::string& name) const;

    /// The first value of a query parameter, if present.
    std::optional<std::string> query(const std::string& name) const;

    /// A query parameter that must be a whole number from min to max, if
    /// present: digits only (no sign, space, fraction or list), no overflow.
    /// Anything else is 422 VALIDATION_FAILED naming the parameter in
    /// details.fields.
    std::optional<std::int64_t> queryInt(const std::string& name, std::int64_t min, std::int64_t max) const;
    /// The same, recording the problem in errors instead of throwing, so one
    /// answer can name every bad field.
    std::optional<std::int64_t> queryInt(const std::string& name, std::int64_t min, std::int64_t max,
        std::map<std::string, std::string>& errors) const;

    /// A header lookup by case-insensitive name.
    std::optional<std::string> header(const std::string& name) const;

    /// The body parsed as one JSON object: 400 MALFORMED_JSON if it is not
    /// valid JSON, 422 VALIDATION_FAILED if it is valid but not an object.
    Poco::JSON::Object::Ptr jsonObject() const;
};

/// The sending end of a server-sent event stream (text/event-stream). Safe
/// to use from any thread; the connection it feeds holds no worker thread,
/// and the server sends a heartbeat comment every 15 s.
class EventStream {
public:
    virtual ~EventStream() = default;
    /// Queues one event (a multi-line data goes out as several data: lines).
    /// False once the client has gone or the server is stopping.
    virtual bool send(const std::string& event, const std::string& data) = 0;
    /// False once the client has gone or the server is stopping.
    virtual bool connected() const = 0;
    /// Ends the stream: the connection closes after what was queued.
    virtual void close() = 0;
};

/// A response a handler returns. Binary bodies are fine.
struct Response {
    int status = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(const Poco::JSON::Object::Ptr& object, int status = 200);
    static Response json(const Poco::JSON::Array::Ptr& array, int status = 200);
    static Response text(std::string body, std::string contentType, int status = 200);
    static Response noContent();
    /// A server-sent event stream: once its headers are on their way,
    /// onOpen gets the stream's handle (on a worker thread; keep it short).
    static Response stream(std::function<void(std::shared_ptr<EventStream>)> onOpen);

    /// Set by stream(); empty for an ordinary response.
    std::function<void(std::shared_ptr<EventStream>)> onStream;
};

/// The one way a handler reports a client error: the kernel turns it into the
/// error envelope {"error": {"code","message","details","request_id"}}.
class HttpError : public std::runtime_error {
public:
    HttpError(
        int status, std::string code, const std::string& message, Poco::JSON::Object::Ptr details = nullptr);

    int status() const { return _status; }
    const std::string& code() const { return _code; }
    Poco::JSON::Object::Ptr details() const { return _details; }
    /// Extra response headers (e.g. Retry-After for 429, Allow for 405).
    std::vector<std::pair<std::string, std::string>>& headers() { return _headers; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return _headers; }

    static HttpError notFound(const std::string& what);
    static HttpError forbidden(const std::string& message = "you may not do this");
    static HttpError conflict(const std::string& message, Poco::JSON::Object::Ptr details = nullptr);
    /// 422 VALIDATION_FAILED with details.fields = {field: reason}.
    static HttpError validation(const std::map<std::string, std::string>& fields);

private:
    int _status;
    std::string _code;
    Poco::JSON::Object::Ptr _details;
    std::vector<std::pair<std::string, std::string>> _headers;
};

using Handler = std::function<Response(Request&)>;

/// A query parameter a route reads. Declared for the OpenAPI document; the
/// handler still reads and checks it (422 names it when it is bad).
struct QueryParameter {
    std::string name;
    Schema schema;
    std::string description;
    bool required = false;
};

/// A success answer a route gives: its status and, unless it has no body,
/// its body's shape and media type.
struct Reply {
    int status = 200;
    std::string description;
    std::optional<Schema> schema; ///< none: no body (204)
    std::string contentType = "application/json";
};

/// What a route accepts and answers, declared beside its handler so the
/// OpenAPI document says it and cannot drift from it:
///
///     Contract()
///         .param("doctor_id", Schema::id(), "only this doctor's")
///         .accepts(Schema::object().required("start", Schema::dateTime()))
///         .returns(200, "the appointment", appointment)
struct Contract {
    std::vector<QueryParameter> query;
    std::optional<Schema> body; ///< the request body's shape
    std::string bodyContentType = "application/json";
    std::string bodyDescription;
    std::vector<Reply> replies;

    Contract& param(std::string name, Schema schema, std::string description, bool required = false)
    {
        query.push_back({std::move(name), std::move(schema), std::move(description), required});
        return *this;
    }
    /// ?limit= and ?cursor= of the API's list convention.
    Contract& page()
    {
        param("limit", Schema::integer(1, 500), "items per page (default 50)");
        return param("cursor", Schema::string(), "next_cursor of the previous page");
    }
    /// A JSON body of this shape.
    Contract& accepts(Schema schema, std::string description = "")
    {
        body = std::move(schema);
        bodyDescription = std::move(description);
        return *this;
    }
    /// A raw body (an upload) of one of these media types, e.g. "application/pdf".
    Contract& acceptsBytes(std::string contentType, std::string description)
    {
        body = Schema::binary();
        bodyContentType = std::move(contentType);
        bodyDescription = std::move(description);
        return *this;
    }
    /// A JSON answer of this shape.
    Contract& returns(int status, std::string description, Schema schema)
    {
        replies.push_back({status, std::move(description), std::move(schema), "application/json"});
        return *this;
    }
    /// A non-JSON answer (iCalendar, CSV, a stored file, Prometheus text).
    Contract& returnsText(int status, std::string contentType, std::string description)
    {
        replies.push_back({status, std::move(description), Schema::string(), std::move(contentType)});
        return *this;
    }
    /// An answer without a body.
    Contract& returnsNothing(int status, std::string description)
    {
        replies.push_back({status, std::move(description), std::nullopt, ""});
        return *this;
    }
};

/// A route declaration. Pattern segments are literals, {name}, or
/// {name}suffix (e.g. /api/v1/appointments/{id}.ics). A literal segment
/// beats a parameter where both match.
struct Route {
    Route(std::string method, std::string pattern, Access access, Handler handler, std::string summary,
        std::size_t maxBodyBytes = 0)
        : method(std::move(method))
        , pattern(std::move(pattern))
        , access(std::move(access))
        , handler(std::move(handler))
        , summary(std::move(summary))
        , maxBodyBytes(maxBodyBytes)
    {
    }
    Route(std::string method, std::string pattern, Access access, Handler handler, std::string summary,
        Contract contract, std::size_t maxBodyBytes = 0)
        : Route(std::move(method), std::move(pattern), std::move(access), std::move(handler),
            std::move(summary), maxBodyBytes)
    {
        this->contract = std::move(contract);
    }

    std::string method; ///< GET, POST, PUT, PATCH, DELETE
    std::string pattern;
    Access access;
    Handler handler;
    std::string summary; ///< one line, for the route list and OpenAPI
    std::size_t maxBodyBytes = 0; ///< 0: the configured http.max_body_bytes
    Contract contract; ///< what it accepts and answers, for OpenAPI
};

/// Renders an error answer in a standard's own shape where the API's error
/// envelope does not apply (FHIR's OperationOutcome under /fhir/r4).
using ErrorRenderer = std::function<Response(const HttpError& error, const Request& request)>;

class Router {
public:
    virtual ~Router() = default;
    /// Adds a route. Throws std::invalid_argument on a malformed pattern or a
    /// duplicate method+pattern.
    virtual void add(Route route) = 0;
    /// Every error answer to a request whose path lies under prefix (one of
    /// the plugin's urlPrefixes(), or a path under one) is rendered by
    /// renderer instead of the error envelope: the handlers' HttpErrors and
    /// the kernel's own 401, 403, 404, 405, 413, 503 and 500 alike. The
    /// kernel still sends X-Request-ID, the error's headers (Allow,
    /// Retry-After) and WWW-Authenticate on a 401. Answers given before a
    /// request is routed (framing, deadlines, load shedding) keep the
    /// envelope. A renderer that throws gets the envelope too. The start
    /// fails on a prefix the plugin does not own or one that has a renderer.
    virtual void renderErrors(const std::string& prefix, ErrorRenderer renderer) = 0;
};

} // namespace clinic
