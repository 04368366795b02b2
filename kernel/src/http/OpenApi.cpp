#include "http/OpenApi.h"

#include <algorithm>
#include <cctype>
#include <map>

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
        "Retry-After: nothing was done, send again), INTERNAL (500)");
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

} // namespace

Poco::JSON::Object::Ptr openApiDocument(const RouterImpl& router, const std::string& version)
{
    // std::map: paths in a stable, sorted order, so the document diffs cleanly.
    std::map<std::string, Poco::JSON::Object::Ptr> paths;
    for (const auto& r : router.routes()) {
        const Route& route = r->route;
        auto& item = paths[route.pattern];
        if (!item)
            item = makeObject();

        auto op = makeObject();
        op->set("summary", route.summary);
        op->set("operationId", lower(route.method) + route.pattern);
        Poco::JSON::Array::Ptr tags = new Poco::JSON::Array;
        tags->add(r->owner);
        op->set("tags", tags);

        Poco::JSON::Array::Ptr params = new Poco::JSON::Array;
        for (const auto& seg : r->segments) {
            if (!seg.isParam)
                continue;
            auto schema = makeObject();
            const bool isId
                = seg.text == "id" || (seg.text.size() > 3 && seg.text.substr(seg.text.size() - 3) == "_id");
            schema->set("type", isId ? "integer" : "string");
            if (isId)
                schema->set("minimum", 1);
            auto p = makeObject();
            p->set("name", seg.text);
            p->set("in", "path");
            p->set("required", true);
            p->set("schema", schema);
            params->add(p);
        }
        if (params->size() > 0)
            op->set("parameters", params);

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
        auto ok = makeObject();
        ok->set("description", "success: see the summary");
        responses->set("2XX", ok);
        if (!route.access.isPublic) {
            responses->set("401", errorResponse("no valid access token"));
            responses->set("403", errorResponse("the caller's role may not do this"));
        }
        responses->set("4XX", errorResponse("bad input, not found, conflict: the error envelope"));
        responses->set("5XX", errorResponse("internal error; quote the request id"));
        op->set("responses", responses);

        item->set(lower(route.method), op);
    }

    auto pathsObject = makeObject();
    for (const auto& [pattern, item] : paths)
        pathsObject->set(pattern, item);

    auto info = makeObject();
    info->set("title", "clinicd API");
    info->set("version", version);
    info->set("description",
        "The HTTP(S) JSON API of clinicd, generated from the routes this daemon serves: JSON in and out, "
        "RFC 3339 times, the error envelope on every error, X-Request-ID on every response.");
    auto doc = makeObject();
    doc->set("openapi", "3.0.3");
    doc->set("info", info);
    doc->set("paths", pathsObject);
    doc->set("components", components());
    return doc;
}

} // namespace clinic
