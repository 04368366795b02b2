#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

namespace clinic {

/// A read-only query a caller lends a script for one call, seen as
/// ctx.NAME(args) (e.g. ctx.count_bookings{patient = 1, days = 30}). args is
/// the Lua argument converted to a Poco::JSON::Object::Ptr (a table with
/// string keys), a Poco::JSON::Array::Ptr, a string, an Int64, a double, a
/// bool, or empty. The result goes back to Lua the same way. A throw becomes
/// a Lua error in the script (and so the hook's failure mode).
using RuleHelper = std::function<Poco::Dynamic::Var(const Poco::Dynamic::Var& args)>;
using RuleHelpers = std::map<std::string, RuleHelper>;

/// What every hook call reports besides its answer.
struct RuleOutcome {
    /// False: the loaded scripts define no such hook and the answer is the
    /// built-in default (no Lua ran).
    bool hookExists = false;
    /// The rules generation that answered (0: no rules loaded).
    std::uint64_t generation = 0;
    /// The script's error (Lua message with file:line, a budget or memory
    /// limit, or a return value of the wrong type); empty when it ran clean.
    /// When set, the answer is the hook's failure mode.
    std::string error;

    bool failed() const { return !error.empty(); }
};

/// before_book, before_prescribe. Fail closed: a script error rejects with
/// reason "rule error".
struct RuleDecision : RuleOutcome {
    bool allowed = true;
    std::string reason; ///< why not, when !allowed
};

/// cancel_policy. Fails closed: a script error refuses the cancellation.
struct CancelDecision : RuleOutcome {
    bool allowed = true;
    std::string reason; ///< why not, when !allowed
    std::optional<std::int64_t> feeMinor; ///< a fee in minor units, when the script asks one
};

/// slot_length. Falls back to the caller's default on a script error.
struct SlotLengthDecision : RuleOutcome {
    int minutes = 0; ///< 5..480
};

struct Reminder {
    int offsetMinutes = 0; ///< before the start, 1..(60 days)
    std::string channel; ///< email, sms or inapp
};

/// reminders. Falls back to the caller's default on a script error.
struct ReminderPlan : RuleOutcome {
    std::vector<Reminder> reminders;
};

/// What is loaded now.
struct RulesInfo {
    std::uint64_t generation = 0;
    std::string dir;
    std::vector<std::string> files; ///< in load order
    std::vector<std::string> hooks; ///< hook names the scripts define
};

/// The clinic's policy in Lua (rules.dir, documented in lua/README.md).
/// Every call is safe from any thread: each worker thread runs its own Lua
/// state of the current generation, under an instruction budget and a memory
/// cap. ctx is converted to a Lua table (nested objects and arrays included)
/// for that one call; a script cannot change the caller's object.
class RuleEngine {
public:
    virtual ~RuleEngine() = default;

    /// before_book(ctx) -> true | false, "reason". Missing hook: allowed.
    virtual RuleDecision beforeBook(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {}) = 0;
    /// before_prescribe(ctx) -> true | false, "reason". Missing hook: allowed.
    virtual RuleDecision beforePrescribe(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {})
        = 0;
    /// cancel_policy(ctx) -> {allowed = bool, fee_minor = int?, reason = str?}
    /// (or a bare boolean). Missing hook: allowed without a fee.
    virtual CancelDecision cancelPolicy(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {})
        = 0;
    /// slot_length(ctx) -> integer minutes 5..480, or nil for the default.
    /// Missing hook, nil or an error: defaultMinutes.
    virtual SlotLengthDecision slotLength(
        const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const RuleHelpers& helpers = {})
        = 0;
    /// reminders(ctx) -> {{offset_minutes = int, channel = "email"|"sms"|"inapp"}, ...}
    /// (an empty list: no reminders), or nil for the default. Missing hook,
    /// nil or an error: defaults.
    virtual ReminderPlan reminders(const Poco::JSON::Object::Ptr& ctx, const std::vector<Reminder>& defaults,
        const RuleHelpers& helpers = {})
        = 0;

    /// The generation serving now.
    virtual RulesInfo current() const = 0;
};

} // namespace clinic
