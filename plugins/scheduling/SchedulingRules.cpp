#include "SchedulingRules.h"

#include <algorithm>
#include <cmath>

#include <Poco/JSON/Array.h>

namespace scheduling {

namespace {

using clinic::RuleAnswer;
using clinic::RuleFailure;
using clinic::RuleVerdict;
using Poco::Dynamic::Var;

/// The Lua type name of a converted value (a nested function reads as nil).
std::string luaType(const Var& v)
{
    if (v.isEmpty())
        return "nil";
    const std::type_info& t = v.type();
    if (t == typeid(bool))
        return "boolean";
    if (t == typeid(Poco::JSON::Object::Ptr) || t == typeid(Poco::JSON::Array::Ptr))
        return "table";
    if (v.isString())
        return "string";
    return "number";
}

/// The answer's i-th result's Lua type ("nil" past the end).
std::string resultType(const RuleAnswer& a, std::size_t i)
{
    return i < a.luaTypes.size() ? a.luaTypes[i] : "nil";
}

/// An integer: a Lua integer, or a float with an exact integer value.
/// Strings that look like numbers are not numbers here.
bool integerOf(const Var& v, std::int64_t& out)
{
    if (v.isEmpty() || v.isString() || v.type() == typeid(bool))
        return false;
    if (v.type() == typeid(Poco::Int64)) {
        out = v.extract<Poco::Int64>();
        return true;
    }
    if (v.type() != typeid(double))
        return false;
    const double d = v.extract<double>();
    if (!std::isfinite(d) || std::floor(d) != d || d < -9.2e18 || d > 9.2e18)
        return false;
    out = static_cast<std::int64_t>(d);
    return true;
}

/// A script's string, cut to what a reason or channel may be.
std::string shortString(const Var& v)
{
    const std::string s = v.extract<std::string>();
    return s.substr(0, std::min<std::size_t>(s.size(), 500));
}

/// t.key of a converted table (nil when t is a list or has no such key).
Var field(const Var& table, const std::string& key)
{
    if (table.type() != typeid(Poco::JSON::Object::Ptr))
        return Var();
    auto o = table.extract<Poco::JSON::Object::Ptr>();
    return o && o->has(key) ? o->get(key) : Var();
}

/// t[i] of a converted table, 1-based, as Lua would index it.
Var element(const Var& table, std::size_t i)
{
    if (table.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = table.extract<Poco::JSON::Array::Ptr>();
        return a && i >= 1 && i <= a->size() ? a->get(static_cast<unsigned>(i - 1)) : Var();
    }
    return field(table, std::to_string(i));
}

/// #t: a list's size, or the border of a table that also has other keys.
std::size_t length(const Var& table)
{
    if (table.type() == typeid(Poco::JSON::Array::Ptr)) {
        auto a = table.extract<Poco::JSON::Array::Ptr>();
        return a ? a->size() : 0;
    }
    std::size_t n = 0;
    while (!element(table, n + 1).isEmpty())
        ++n;
    return n;
}

} // namespace

void SchedulingRules::declare(clinic::RuleEngine& rules)
{
    rules.declare({"before_book",
        "booking ctx (start, patient, doctor, service, location, actor) -> true | false, \"reason\"",
        RuleFailure::FailClosed});
    rules.declare({"cancel_policy",
        "booking ctx of the appointment being cancelled -> {allowed = bool, fee_minor = int?, reason = str?} "
        "| true | false, \"reason\"",
        RuleFailure::FailClosed});
    rules.declare(
        {"slot_length", "booking ctx of a slot offered -> minutes 5..480 | nil (the service's duration)",
            RuleFailure::CallerDefault});
    rules.declare({"reminders",
        "booking ctx of the new appointment -> {{offset_minutes = int, channel = "
        "\"email\"|\"sms\"|\"inapp\"}, "
        "...} | nil (the default plan)",
        RuleFailure::CallerDefault});
    rules.declare({"no_show_after",
        "booking ctx with ctx.appointment -> minutes 0..1440 after the start | false (never) | nil (the "
        "default, 15)",
        RuleFailure::CallerDefault});
}

clinic::RuleDecision SchedulingRules::beforeBook(
    const Poco::JSON::Object::Ptr& ctx, const clinic::RuleHelpers& helpers)
{
    return clinic::decide(_rules, "before_book", ctx, helpers);
}

CancelDecision SchedulingRules::cancelPolicy(
    const Poco::JSON::Object::Ptr& ctx, const clinic::RuleHelpers& helpers)
{
    CancelDecision out;
    const RuleAnswer answer = _rules.call("cancel_policy", ctx, helpers, [&](const RuleAnswer& a) {
        RuleVerdict verdict;
        const std::string type = resultType(a, 0);
        if (type == "nil") {
            out.allowed = true;
        } else if (type == "boolean") {
            out.allowed = a.values[0].extract<bool>();
            if (!out.allowed && resultType(a, 1) == "string")
                out.reason = shortString(a.values[1]);
        } else if (type == "table") {
            const Var& t = a.values[0];
            const Var allowed = field(t, "allowed");
            if (luaType(allowed) != "boolean")
                verdict.error = "cancel_policy: allowed is a " + luaType(allowed) + ", expected a boolean";
            else
                out.allowed = allowed.extract<bool>();
            const Var fee = field(t, "fee_minor");
            std::int64_t feeMinor = 0;
            if (!fee.isEmpty()) {
                if (!integerOf(fee, feeMinor) || feeMinor < 0)
                    verdict.error = "cancel_policy: fee_minor must be a non-negative integer";
                else
                    out.feeMinor = feeMinor;
            }
            const Var reason = field(t, "reason");
            if (luaType(reason) == "string")
                out.reason = shortString(reason);
            else if (!reason.isEmpty())
                verdict.error = "cancel_policy: reason must be a string";
        } else {
            verdict.error
                = "cancel_policy returned a " + type + ", expected {allowed = bool, fee_minor = int?}";
        }
        if (!out.allowed && out.reason.empty() && verdict.error.empty())
            out.reason = "cancellation not allowed by the clinic's rules";
        verdict.allowed = out.allowed;
        return verdict;
    });
    static_cast<clinic::RuleOutcome&>(out) = answer;
    if (answer.failed()) {
        out.feeMinor.reset();
        out.allowed = answer.onFailure == RuleFailure::CallerDefault;
        out.reason = out.allowed ? "" : "rule error";
    }
    return out;
}

SlotLengthDecision SchedulingRules::slotLength(
    const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const clinic::RuleHelpers& helpers)
{
    SlotLengthDecision out;
    out.minutes = defaultMinutes;
    const RuleAnswer answer = _rules.call("slot_length", ctx, helpers, [&](const RuleAnswer& a) {
        RuleVerdict verdict;
        std::int64_t minutes = 0;
        if (resultType(a, 0) == "nil") {
            // nil: the script has no opinion for this slot
        } else if (!integerOf(a.values[0], minutes)) {
            verdict.error = "slot_length returned a " + resultType(a, 0) + ", expected integer minutes";
        } else if (minutes < 5 || minutes > 480) {
            verdict.error = "slot_length returned " + std::to_string(minutes) + ", expected 5..480 minutes";
        } else {
            out.minutes = static_cast<int>(minutes);
        }
        return verdict;
    });
    static_cast<clinic::RuleOutcome&>(out) = answer;
    if (answer.failed())
        out.minutes = defaultMinutes; // falls back to the default
    return out;
}

ReminderPlan SchedulingRules::reminders(const Poco::JSON::Object::Ptr& ctx,
    const std::vector<Reminder>& defaults, const clinic::RuleHelpers& helpers)
{
    ReminderPlan out;
    out.reminders = defaults;
    const RuleAnswer answer = _rules.call("reminders", ctx, helpers, [&](const RuleAnswer& a) {
        RuleVerdict verdict;
        const std::string type = resultType(a, 0);
        if (type == "nil")
            return verdict;
        if (type != "table") {
            verdict.error = "reminders returned a " + type + ", expected a list";
            return verdict;
        }
        const Var& listed = a.values[0];
        const std::size_t count = length(listed);
        if (count > 20)
            verdict.error
                = "reminders returned " + std::to_string(count) + " entries, at most 20 are allowed";
        std::vector<Reminder> list;
        for (std::size_t i = 1; i <= count && verdict.error.empty(); ++i) {
            const std::string where = "reminders[" + std::to_string(i) + "]";
            const Var item = element(listed, i);
            if (luaType(item) != "table") {
                verdict.error = where + " is a " + luaType(item) + ", expected a table";
                break;
            }
            // {offset_minutes = 1440, channel = "email"} or {1440, "email"}
            Var offset = field(item, "offset_minutes");
            if (offset.isEmpty())
                offset = element(item, 1);
            Var channel = field(item, "channel");
            if (channel.isEmpty())
                channel = element(item, 2);
            std::int64_t minutes = 0;
            Reminder r;
            if (!integerOf(offset, minutes) || minutes < 1 || minutes > 60 * 24 * 60)
                verdict.error = where + ".offset_minutes must be an integer 1..86400";
            else if (luaType(channel) != "string")
                verdict.error = where + ".channel must be a string";
            else {
                r.offsetMinutes = static_cast<int>(minutes);
                r.channel = shortString(channel);
                if (r.channel != "email" && r.channel != "sms" && r.channel != "inapp")
                    verdict.error = where + ".channel must be email, sms or inapp, not " + r.channel;
            }
            list.push_back(r);
        }
        if (verdict.error.empty())
            out.reminders = std::move(list);
        return verdict;
    });
    static_cast<clinic::RuleOutcome&>(out) = answer;
    if (answer.failed())
        out.reminders = defaults; // falls back to the default
    return out;
}

NoShowDecision SchedulingRules::noShowAfter(
    const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const clinic::RuleHelpers& helpers)
{
    NoShowDecision out;
    out.minutes = defaultMinutes;
    const RuleAnswer answer = _rules.call("no_show_after", ctx, helpers, [&](const RuleAnswer& a) {
        RuleVerdict verdict;
        std::int64_t minutes = 0;
        const std::string type = resultType(a, 0);
        if (type == "nil") {
            // nil: the default for this appointment
        } else if (type == "boolean") {
            if (a.values[0].extract<bool>())
                verdict.error = "no_show_after returned true, expected minutes or false";
            else
                out.minutes.reset();
        } else if (!integerOf(a.values[0], minutes)) {
            verdict.error = "no_show_after returned a " + type + ", expected integer minutes";
        } else if (minutes < 0 || minutes > 1440) {
            verdict.error
                = "no_show_after returned " + std::to_string(minutes) + ", expected 0..1440 minutes";
        } else {
            out.minutes = static_cast<int>(minutes);
        }
        return verdict;
    });
    static_cast<clinic::RuleOutcome&>(out) = answer;
    if (answer.failed())
        out.minutes = defaultMinutes;
    return out;
}

} // namespace scheduling
