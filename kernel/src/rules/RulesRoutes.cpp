#include "rules/RulesRoutes.h"

#include <algorithm>

#include "clinic/Json.h"

namespace clinic::rules {

namespace {

Poco::JSON::Object::Ptr describe(const RulesInfo& info)
{
    auto o = makeObject();
    o->set("generation", static_cast<Poco::Int64>(info.generation));
    o->set("dir", info.dir);
    Poco::JSON::Array::Ptr files = new Poco::JSON::Array;
    for (const auto& f : info.files)
        files->add(f);
    o->set("files", files);
    Poco::JSON::Array::Ptr hooks = new Poco::JSON::Array;
    for (const auto& h : info.hooks)
        hooks->add(h);
    o->set("hooks", hooks);
    // Every hook a plugin offers, defined by the scripts or not: what a
    // clinic may write, and whom to ask about it.
    Poco::JSON::Array::Ptr declared = new Poco::JSON::Array;
    for (const auto& h : info.declared) {
        auto d = makeObject();
        d->set("name", h.name);
        d->set("plugin", h.plugin);
        d->set("doc", h.doc);
        d->set("on_failure", h.onFailure == RuleFailure::FailClosed ? "fail_closed" : "caller_default");
        d->set("defined", std::find(info.hooks.begin(), info.hooks.end(), h.name) != info.hooks.end());
        declared->add(d);
    }
    o->set("declared", declared);
    Poco::JSON::Array::Ptr warnings = new Poco::JSON::Array;
    for (const auto& w : info.warnings)
        warnings->add(w);
    o->set("warnings", warnings);
    return o;
}

} // namespace

void addRulesRoutes(RuleEngineImpl& engine, const std::function<void(Route)>& add)
{
    add({"GET", "/api/v1/system/rules", Access::only({"admin"}),
        [&engine](Request&) { return Response::json(describe(engine.current())); },
        "admin: the Lua rules serving now: generation, files in load order, hooks defined, hooks declared "
        "by plugins, warnings"});
    add({"POST", "/api/v1/system/rules/reload", Access::only({"admin"}),
        [&engine](Request&) {
            RuleBuild result = engine.reload();
            if (!result.ok) {
                auto details = makeObject();
                details->set("file", result.error.file);
                details->set("line", result.error.line);
                details->set("error", result.error.message);
                details->set("generation", static_cast<Poco::Int64>(engine.current().generation));
                throw HttpError(422, "RULES_INVALID",
                    "rules rejected, the previous generation keeps serving: " + result.error.text(), details);
            }
            return Response::json(describe(result.info));
        },
        "admin: reload the Lua rules (warnings name functions no plugin declared); 422 RULES_INVALID "
        "with {file, line, error} keeps the old ones serving"});
}

} // namespace clinic::rules
