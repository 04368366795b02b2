// The kernel's own routes (health, time, the OpenAPI document, system) with
// what each answers, and the contracts of the rules routes.

#include <chrono>

#include <Poco/DateTimeFormatter.h>

#include "Kernel.h"
#include "clinic/Json.h"
#include "clinic/Roles.h"
#include "http/OpenApi.h"
#include "rules/RulesRoutes.h"
#include "version.h"

namespace clinic {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t)
{
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(
        Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(micros)), "%Y-%m-%dT%H:%M:%S.%iZ");
}

Schema readinessReport()
{
    auto check = Schema::object()
                     .required("ok", Schema::boolean())
                     .optional("detail", Schema::string().describe("what fails; the daemon log has why"));
    return Schema::object()
        .required("status", Schema::enumOf({"ready"}))
        .required("checks", Schema::object().additional(check).describe("each check by name"));
}

Schema rulesInfo()
{
    return Schema::object()
        .required("generation", Schema::integer().describe("rises with every successful load"))
        .required("dir", Schema::string())
        .required("files", Schema::array(Schema::string()).describe("in load order"))
        .required("hooks", Schema::array(Schema::string()).describe("the rule hooks the scripts define"));
}

/// The rules routes are declared in rules/ with their handlers; what they
/// accept and answer is attached here, as they pass to the router.
Route withRulesContract(Route route)
{
    if (route.method == "GET")
        route.contract.returns(200, "the rules serving now", rulesInfo());
    else
        route.contract
            .accepts(Schema::object().describe("no fields: the rules directory is reloaded as it is"))
            .returns(200, "the new generation, now serving", rulesInfo());
    return route;
}

} // namespace

void Kernel::registerKernelRoutes()
{
    addRoute(
        {"GET", "/health/live", Access::open(),
            [](Request&) {
                auto o = makeObject();
                o->set("status", "ok");
                return Response::json(o);
            },
            "liveness: the process answers",
            Contract().returns(200, "alive", Schema::object().required("status", Schema::enumOf({"ok"})))},
        "kernel");
    addRoute({"GET", "/health/ready", Access::open(),
                 [this](Request& req) {
                     auto checks = makeObject();
                     std::vector<std::string> failing;
                     for (const auto& [name, result] : readiness()) {
                         auto c = makeObject();
                         c->set("ok", result.ok);
                         if (!result.ok) {
                             c->set("detail", publicReadinessDetail(name));
                             failing.push_back(name);
                         }
                         noteReadiness(name, result);
                         checks->set(name, c);
                     }
                     if (failing.empty()) {
                         auto o = makeObject();
                         o->set("status", "ready");
                         o->set("checks", checks);
                         return Response::json(o);
                     }
                     std::string names;
                     for (const auto& n : failing)
                         names += (names.empty() ? "" : ", ") + n;
                     auto details = makeObject();
                     details->set("failing", names);
                     details->set("checks", checks);
                     HttpError error(503, "NOT_READY", "not ready: " + names, details);
                     return Response::text(
                         errorEnvelope(error, req.requestId), "application/json; charset=utf-8", 503);
                 },
                 "readiness: database reachable and every plugin started; 503 names the failing checks",
                 Contract().returns(200, "ready", readinessReport())},
        "kernel");
    addRoute({"GET", "/api/v1/time", Access::open(),
                 [this](Request&) {
                     auto o = makeObject();
                     o->set("now", iso8601(_clock->now()));
                     return Response::json(o);
                 },
                 "the daemon's clock, for terminal clock sync",
                 Contract().returns(
                     200, "the daemon's time, UTC", Schema::object().required("now", Schema::dateTime()))},
        "kernel");
    addRoute({"GET", "/api/v1/openapi.json", Access::open(),
                 [this](Request&) { return Response::json(openApiDocument(_router, CLINICD_VERSION)); },
                 "the OpenAPI 3 document of every route this daemon serves, with who may call it",
                 Contract().returns(200, "this document", Schema::object().describe("OpenAPI 3.0.3"))},
        "kernel");
    const auto routeEntry = Schema::object()
                                .required("method", Schema::enumOf({"GET", "POST", "PUT", "PATCH", "DELETE"}))
                                .required("pattern", Schema::string())
                                .required("owner", Schema::string().describe("kernel or the plugin's name"))
                                .required("access", Schema::enumOf({"public", "authenticated", "roles"}))
                                .required("roles", Schema::array(Schema::string()))
                                .required("summary", Schema::string());
    addRoute(
        {"GET", "/api/v1/system/routes", Access::only(roles::admin),
            [this](Request&) {
                Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
                for (const auto& r : _router.routes()) {
                    auto o = makeObject();
                    o->set("method", r->route.method);
                    o->set("pattern", r->route.pattern);
                    o->set("owner", r->owner);
                    const Access& a = r->route.access;
                    o->set("access", a.isPublic ? "public" : a.roles.empty() ? "authenticated" : "roles");
                    Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
                    for (const auto& role : a.roles)
                        roles->add(role);
                    o->set("roles", roles);
                    o->set("summary", r->route.summary);
                    items->add(o);
                }
                auto o = makeObject();
                o->set("items", items);
                return Response::json(o);
            },
            "admin: every route with its method, pattern, owner and who may call it",
            Contract().returns(200, "every route, in the order declared",
                Schema::object().required("items", Schema::array(routeEntry)))},
        "kernel");
    const auto plugin
        = Schema::object()
              .required("name", Schema::string())
              .required("version", Schema::string())
              .required("state", Schema::enumOf({"missing", "loaded", "started", "failed", "stopped"}))
              .required("requires", Schema::array(Schema::string()))
              .optional("error", Schema::string().describe("why a plugin did not start"));
    addRoute({"GET", "/api/v1/system/plugins", Access::only(roles::admin),
                 [this](Request&) {
                     Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
                     for (const auto& p : _plugins->plugins()) {
                         auto o = makeObject();
                         o->set("name", p->name);
                         o->set("version", p->version);
                         o->set("state", p->state);
                         Poco::JSON::Array::Ptr deps = new Poco::JSON::Array;
                         for (const auto& d : p->dependencies)
                             deps->add(d);
                         o->set("requires", deps);
                         if (!p->error.empty())
                             o->set("error", p->error);
                         items->add(o);
                     }
                     auto o = makeObject();
                     o->set("items", items);
                     o->set("api_version", kPluginApiVersion);
                     o->set("clinicd_version", std::string(CLINICD_VERSION));
                     return Response::json(o);
                 },
                 "loaded plugins: name, version, state and, for a failed one, why",
                 Contract().returns(200, "the plugins named in plugins.load",
                     Schema::object()
                         .required("items", Schema::array(plugin))
                         .required("api_version", Schema::integer().describe("the plugin ABI version"))
                         .required("clinicd_version", Schema::string()))},
        "kernel");
    rules::addRulesRoutes(
        *_rules, [this](Route route) { addRoute(withRulesContract(std::move(route)), "kernel"); });
}

} // namespace clinic
