#pragma once

// The Lua hooks the scheduling plugin owns (before_book, cancel_policy,
// slot_length, reminders, no_show_after): their declarations and the readers that turn a
// script's answer into a typed decision. The rule engine only runs them; what
// an answer means, and what a wrong one means, is decided here.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Host.h"
#include "clinic/Rules.h"

namespace scheduling {

/// cancel_policy. Fails closed: a script error refuses the cancellation.
struct CancelDecision : clinic::RuleOutcome {
    bool allowed = true;
    std::string reason; ///< why not, when !allowed
    std::optional<std::int64_t> feeMinor; ///< a fee in minor units, when the script asks one
};

/// slot_length. Falls back to the caller's default on a script error.
struct SlotLengthDecision : clinic::RuleOutcome {
    int minutes = 0; ///< 5..480
};

struct Reminder {
    int offsetMinutes = 0; ///< before the start, 1..(60 days)
    std::string channel; ///< email, sms or inapp
};

/// reminders. Falls back to the caller's default on a script error.
struct ReminderPlan : clinic::RuleOutcome {
    std::vector<Reminder> reminders;
};

/// no_show_after. Falls back to the default on a script error.
struct NoShowDecision : clinic::RuleOutcome {
    /// Minutes after the start at which an appointment not checked in
    /// becomes a no-show, 0..1440; none: never automatically.
    std::optional<int> minutes;
};

/// The scheduling plugin's hooks, called through the clinic's rule engine.
/// Cheap to make: it only holds the engine.
class SchedulingRules {
public:
    explicit SchedulingRules(clinic::RuleEngine& rules)
        : _rules(rules)
    {
    }
    explicit SchedulingRules(clinic::Host& host)
        : _rules(host.rules())
    {
    }

    /// Declares the hooks (Plugin::declareRuleHooks).
    static void declare(clinic::RuleEngine& rules);

    /// before_book(ctx) -> true | false, "reason". Missing hook: allowed.
    /// Fails closed with reason "rule error".
    clinic::RuleDecision beforeBook(
        const Poco::JSON::Object::Ptr& ctx, const clinic::RuleHelpers& helpers = {});
    /// cancel_policy(ctx) -> {allowed = bool, fee_minor = int?, reason = str?}
    /// (or a bare boolean). Missing hook: allowed without a fee.
    CancelDecision cancelPolicy(const Poco::JSON::Object::Ptr& ctx, const clinic::RuleHelpers& helpers = {});
    /// slot_length(ctx) -> integer minutes 5..480, or nil for the default.
    /// Missing hook, nil or an error: defaultMinutes.
    SlotLengthDecision slotLength(
        const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const clinic::RuleHelpers& helpers = {});
    /// reminders(ctx) -> {{offset_minutes = int, channel = "email"|"sms"|"inapp"}, ...}
    /// (an empty list: no reminders), or nil for the default. Missing hook,
    /// nil or an error: defaults.
    ReminderPlan reminders(const Poco::JSON::Object::Ptr& ctx, const std::vector<Reminder>& defaults,
        const clinic::RuleHelpers& helpers = {});

    /// no_show_after(ctx) -> integer minutes 0..1440 after the start, false
    /// (never automatically), or nil for the default. Missing hook, nil or an
    /// error: defaultMinutes.
    NoShowDecision noShowAfter(
        const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const clinic::RuleHelpers& helpers = {});

private:
    clinic::RuleEngine& _rules;
};

} // namespace scheduling
