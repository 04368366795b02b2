// decide(): the "true | false, reason" answer several plugins' hooks share,
// read from the generic call so the engine still names no hook.

#include <algorithm>

#include "clinic/Rules.h"

namespace clinic {

RuleDecision decide(RuleEngine& rules, const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
    const RuleHelpers& helpers)
{
    RuleDecision out;
    // true, nil or nothing allows; false with an optional reason string
    // refuses; anything else is a rule error.
    const RuleAnswer answer = rules.call(hook, ctx, helpers, [&](const RuleAnswer& a) {
        RuleVerdict verdict;
        const std::string type = a.luaTypes.empty() ? "nil" : a.luaTypes[0];
        if (type == "nil" || (type == "boolean" && a.values[0].extract<bool>())) {
            out.allowed = true;
            return verdict;
        }
        if (type != "boolean") {
            verdict.error = hook + " returned a " + type + ", expected true or false, \"reason\"";
            return verdict;
        }
        out.allowed = verdict.allowed = false;
        const std::string reasonType = a.luaTypes.size() >= 2 ? a.luaTypes[1] : "nil";
        if (reasonType == "string") {
            const std::string reason = a.values[1].extract<std::string>();
            out.reason = reason.substr(0, std::min<std::size_t>(reason.size(), 500));
        } else if (reasonType == "nil") {
            out.reason = "not allowed by the clinic's rules";
        } else {
            verdict.error = hook + " returned a " + reasonType + " reason, expected a string";
        }
        return verdict;
    });
    static_cast<RuleOutcome&>(out) = answer;
    if (answer.failed()) {
        out.allowed = answer.onFailure == RuleFailure::CallerDefault;
        out.reason = out.allowed ? "" : "rule error";
    }
    return out;
}

} // namespace clinic
