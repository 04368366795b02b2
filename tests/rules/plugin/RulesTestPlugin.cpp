// A test-only plugin: POST /api/v1/rulestest/{hook} calls host.rules() with
// the ctx from the request body, the way the scheduling plugin does (through
// the scheduling plugin's own hook readers, compiled in), and answers with the
// typed outcome. It declares the scheduling hooks itself, so it never loads
// beside the scheduling plugin, and before_prescribe, which no shipped plugin
// owns yet. The rules suites prove through it what a script does to a
// running daemon. Built into the build's plugin directory, never installed.
//
// Body: {"ctx": {...}, "default_minutes": 30, "helpers": {"name": answer}}
// (each helper answers its fixed value, or throws if the value is "throw").

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"
#include "clinic/Rules.h"

#include "SchedulingRules.h"

namespace {

using namespace clinic;

RuleHelpers helpersFrom(const Poco::JSON::Object::Ptr& body)
{
    RuleHelpers helpers;
    auto spec = body->getObject("helpers");
    if (!spec)
        return helpers;
    for (const auto& [name, value] : *spec) {
        const Poco::Dynamic::Var answer = value;
        helpers[name] = [answer](const Poco::Dynamic::Var&) -> Poco::Dynamic::Var {
            if (answer.isString() && answer.toString() == "throw")
                throw std::runtime_error("helper failed on purpose");
            return answer;
        };
    }
    return helpers;
}

void describe(const RuleOutcome& outcome, Poco::JSON::Object::Ptr out)
{
    out->set("hook_exists", outcome.hookExists);
    out->set("generation", static_cast<Poco::Int64>(outcome.generation));
    out->set("error", outcome.error);
}

class RulesTestPlugin : public Plugin {
public:
    std::string name() const override { return "rulestest"; }
    std::string version() const override { return "0.0.1"; }

    void declareRuleHooks(RuleEngine& rules) override
    {
        scheduling::SchedulingRules::declare(rules);
        rules.declare(
            {"before_prescribe", "prescription ctx -> true | false, \"reason\"", RuleFailure::FailClosed});
    }

    void start(Host& host) override
    {
        RuleEngine& rules = host.rules();
        host.router().add({"POST", "/api/v1/rulestest/{hook}", Access::open(),
            [&rules](Request& req) {
                auto body = req.jsonObject();
                auto ctx = body->getObject("ctx");
                if (!ctx)
                    ctx = makeObject();
                const auto helpers = helpersFrom(body);
                const std::string hook = req.param("hook");
                auto out = makeObject();
                if (hook == "before_book" || hook == "before_prescribe") {
                    auto d = hook == "before_book"
                        ? scheduling::SchedulingRules(rules).beforeBook(ctx, helpers)
                        : decide(rules, "before_prescribe", ctx, helpers);
                    describe(d, out);
                    out->set("allowed", d.allowed);
                    out->set("reason", d.reason);
                } else if (hook == "cancel_policy") {
                    auto d = scheduling::SchedulingRules(rules).cancelPolicy(ctx, helpers);
                    describe(d, out);
                    out->set("allowed", d.allowed);
                    out->set("reason", d.reason);
                    if (d.feeMinor)
                        out->set("fee_minor", static_cast<Poco::Int64>(*d.feeMinor));
                } else if (hook == "slot_length") {
                    auto d = scheduling::SchedulingRules(rules).slotLength(
                        ctx, body->optValue<int>("default_minutes", 30), helpers);
                    describe(d, out);
                    out->set("minutes", d.minutes);
                } else if (hook == "reminders") {
                    auto d = scheduling::SchedulingRules(rules).reminders(ctx, {{1440, "email"}}, helpers);
                    describe(d, out);
                    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
                    for (const auto& r : d.reminders) {
                        auto item = makeObject();
                        item->set("offset_minutes", r.offsetMinutes);
                        item->set("channel", r.channel);
                        list->add(item);
                    }
                    out->set("reminders", list);
                } else {
                    throw HttpError::notFound("hook " + hook);
                }
                return Response::json(out);
            },
            "rulestest: call a rule hook with the ctx in the body"});
    }
};

} // namespace

CLINIC_PLUGIN(RulesTestPlugin)
