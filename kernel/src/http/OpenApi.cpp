#include "http/OpenApi.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>

#include <Poco/JSON/Array.h>

#include "clinic/Json.h"

namespace clinic {

namespace {

Poco::JSON::Object::Ptr ref(const std::string& target)
{
    auto o = makeObject();
    o->set("$ref", target);
    return o;
}

Poco::JSON::Object::Ptr errorResponse(const std::string& description)
{
    auto media = makeObject();
    media->set("schema", ref("#/components/schemas/Error"));
    auto content = makeObject();
    content->set("application/json", media);
    auto r = makeObject();
    r->set("description", description);
    r->set("content", content);
    return r;
}

Poco::JSON::Object::Ptr components()
{
    auto str = [] {
        auto o = makeObject();
        o->set("type", "string");
        return o;
    };
    auto errorProps = makeObject();
    errorProps->set("code", str());
    errorProps->set("message", str());
    auto details = makeObject();
    details->set("type", "object");
    errorProps->set("details", details);
    errorProps->set("request_id", str());
    auto inner = makeObject();
    inner->set("type", "object");
    Poco::JSON::Array::Ptr innerRequired = new Poco::JSON::Array;
    for (const char* f : {"code", "message", "details", "request_id"})
        innerRequired->add(std::string(f));
    inner->set("required", innerRequired);
    inner->set("properties", errorProps);
    auto outerProps = makeObject();
    outerProps->set("error", inner);
    auto error = makeObject();
    error->set("type", "object");
    Poco::JSON::Array::Ptr outerRequired = new Poco::JSON::Array;
    outerRequired->add(std::string("error"));
    error->set("required", outerRequired);
    error->set("properties", outerProps);
    error->set("description",
        "Every error: code such as VALIDATION_FAILED (422, details.fields names each bad field), "
        "MALFORMED_JSON (400), UNAUTHENTICATED (401), FORBIDDEN (403), NOT_FOUND (404), SLOT_TAKEN or "
        "CONFLICT (409), PAYLOAD_TOO_LARGE (413), RATE_LIMITED (429, Retry-After), DATABASE_BUSY (503, "
        "Retry-After: nothing was done, send again), DATABASE_UNAVAILABLE or STORAGE_FULL (503, Retry-After: "
        "the database is unreachable or the disk full; nothing was done), INTERNAL (500)");
    auto schemas = makeObject();
    schemas->set("Error", error);

    auto bearer = makeObject();
    bearer->set("type", "http");
    bearer->set("scheme", "bearer");
    bearer->set("bearerFormat", "JWT");
    bearer->set("description", "POST /api/v1/auth/login returns the access_token");
    auto schemes = makeObject();
    schemes->set("bearer", bearer);

    auto out = makeObject();
    out->set("schemas", schemas);
    out->set("securitySchemes", schemes);
    return out;
}

std::string lower(std::string s)
{
    std::transform(
        s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// A URL-safe operation id, unique per route: the method, then each path
/// segment after /api/v1 in camel case (POST /api/v1/appointments/{id}/cancel
/// is postAppointmentsIdCancel), so a client generator names its methods well.
std::string operationId(const std::string& method, const std::string& pattern)
{
    std::string path = pattern;
    const std::string base = "/api/v1/";
    if (path.rfind(base, 0) == 0)
        path = path.substr(base.size() - 1);
    std::string id = lower(method);
    bool upper = true;
    for (char c : path) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            id += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;
        }
    }
    return id;
}

Poco::JSON::Object::Ptr media(const std::string& contentType, const Schema& schema)
{
    auto m = makeObject();
    m->set("schema", schema.toJson());
    auto content = makeObject();
    content->set(contentType, m);
    return content;
}

Poco::JSON::Object::Ptr requestBody(const Contract& contract)
{
    auto body = makeObject();
    if (!contract.bodyDescription.empty())
        body->set("description", contract.bodyDescription);
    // A body whose every field is optional may be left out altogether.
    const bool required = contract.body->type() != "object" || !contract.body->requiredFields().empty();
    body->set("required", required);
    body->set("content", media(contract.bodyContentType, *contract.body));
    return body;
}

Poco::JSON::Object::Ptr pathParameter(const std::string& name)
{
    auto schema = makeObject();
    // Ids are integers: id, doc_id, tid.
    const bool isId = name.size() >= 2 && name.compare(name.size() - 2, 2, "id") == 0;
    schema->set("type", isId ? "integer" : "string");
    if (isId)
        schema->set("minimum", 1);
    auto p = makeObject();
    p->set("name", name);
    p->set("in", "path");
    p->set("required", true);
    p->set("schema", schema);
    return p;
}

Poco::JSON::Object::Ptr queryParameter(const QueryParameter& q)
{
    auto p = makeObject();
    p->set("name", q.name);
    p->set("in", "query");
    p->set("required", q.required);
    if (!q.description.empty())
        p->set("description", q.description);
    p->set("schema", q.schema.toJson());
    return p;
}

} // namespace

Poco::JSON::Object::Ptr openApiDocument(const RouterImpl& router, const std::string& version)
{
    // std::map: paths in a stable, sorted order, so the document diffs cleanly.
    std::map<std::string, Poco::JSON::Object::Ptr> paths;
    std::set<std::string> owners;
    std::set<std::string> operationIds;
    for (const auto& r : router.routes()) {
        const Route& route = r->route;
        const Contract& contract = route.contract;
        auto& item = paths[route.pattern];
        if (!item)
            item = makeObject();

        auto op = makeObject();
        op->set("summary", route.summary);
        // Two patterns may differ only in punctuation ({id}.ics and {id}/ics):
        // a number keeps their ids apart.
        std::string id = operationId(route.method, route.pattern);
        for (int n = 2; !operationIds.insert(id).second; ++n)
            id = operationId(route.method, route.pattern) + std::to_string(n);
        op->set("operationId", id);
        Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
        tags->add(r->owner);
        owners.insert(r->owner);
        op->set("tags", tags);

        Poco::JSON::Array::Ptr params = new Poco::JSON::Array;
        for (const auto& seg : r->segments)
            if (seg.isParam)
                params->add(pathParameter(seg.text));
        for (const auto& q : contract.query)
            params->add(queryParameter(q));
        if (params->size() > 0)
            op->set("parameters", params);
        if (contract.body)
            op->set("requestBody", requestBody(contract));

        Poco::JSON::Array::Ptr security = new Poco::JSON::Array;
        Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
        if (!route.access.isPublic) {
            auto requirement = makeObject();
            requirement->set("bearer", Poco::JSON::Array::Ptr(new Poco::JSON::Array));
            security->add(requirement);
            for (const auto& role : route.access.roles)
                roles->add(role);
        }
        op->set("security", security);
        op->set("x-roles", roles);

        auto responses = makeObject();
        for (const auto& reply : contract.replies) {
            const std::string status = std::to_string(reply.status);
            // One status may answer in several media types (JSON, or CSV on
            // Accept: text/csv): they share one response object.
            if (responses->has(status) && reply.schema) {
                auto existing = responses->getObject(status);
                auto content = existing->getObject("content");
                if (!content) {
                    content = makeObject();
                    existing->set("content", content);
                }
                const auto more = media(reply.contentType, *reply.schema);
                for (const auto& [type, m] : *more)
                    content->set(type, m);
                continue;
            }
            auto ok = makeObject();
            ok->set("description", reply.description.empty() ? "success" : reply.description);
            if (reply.schema)
                ok->set("content", media(reply.contentType, *reply.schema));
            responses->set(status, ok);
        }
        if (contract.replies.empty()) {
            // A route that declares no answers (a third-party plugin's) is
            // still an operation; its summary is all the document can say.
            auto ok = makeObject();
            ok->set("description", "success: see the summary");
            responses->set("2XX", ok);
        }
        // Under a prefix whose plugin renders its own errors (Router::renderErrors)
        // the answers are not the envelope: say so rather than show its schema.
        const bool ownErrors = router.errorRenderer(route.pattern) != nullptr;
        auto error = [&](const std::string& description) {
            if (!ownErrors)
                return errorResponse(description);
            auto own = makeObject();
            own->set("description", description + " (in the " + r->owner + " plugin's own error format)");
            return own;
        };
        if (!route.access.isPublic) {
            responses->set("401", error("no valid access token"));
            responses->set("403", error("the caller's role may not do this"));
        }
        responses->set("4XX",
            error(ownErrors ? "bad input, not found, conflict"
                            : "bad input, not found, conflict: the error envelope"));
        responses->set("5XX", error("internal error; quote the request id"));
        op->set("responses", responses);

        item->set(lower(route.method), op);
    }

    auto pathsObject = makeObject();
    for (const auto& [pattern, item] : paths)
        pathsObject->set(pattern, item);

    Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
    for (const auto& owner : owners) {
        auto tag = makeObject();
        tag->set("name", owner);
        tag->set("description",
            owner == "kernel" ? "the daemon itself: health, time, sign-in, accounts, audit, system"
                              : "the routes of the " + owner + " plugin");
        tags->add(tag);
    }

    auto server = makeObject();
    server->set("url", "/");
    server->set("description", "this daemon (the document is served by the API it describes)");
    Poco::JSON::Array::Ptr servers = new Poco::JSON::Array;
    servers->add(server);

    auto info = makeObject();
    info->set("title", "clinicd API");
    info->set("version", version);
    info->set("description",
        "The HTTP(S) JSON API of clinicd, generated from the routes this daemon serves: JSON in and out, "
        "RFC 3339 times, the error envelope on every error, X-Request-ID on every response.");
    auto doc = makeObject();
    doc->set("openapi", "3.0.3");
    doc->set("info", info);
    doc->set("servers", servers);
    doc->set("tags", tags);
    doc->set("paths", pathsObject);
    doc->set("components", components());
    return doc;
}

} // namespace clinic
