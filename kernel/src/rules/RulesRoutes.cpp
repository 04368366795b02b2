#include "rules/RulesRoutes.h"

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
    return o;
}

} // namespace

void addRulesRoutes(RuleEngineImpl& engine, const std::function<void(Route)>& add)
{
    add({"GET", "/api/v1/system/rules", Access::only({"admin"}),
        [&engine](Request&) { return Response::json(describe(engine.current())); },
        "admin: the Lua rules serving now: generation, files in load order, hooks defined"});
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
        "admin: reload the Lua rules; 422 RULES_INVALID with {file, line, error} keeps the old ones "
        "serving"});
}

} // namespace clinic::rules
