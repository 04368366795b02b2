#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

/// What a hook's failure (a script error, a budget or memory overrun, an
/// answer of the wrong shape) means for the caller.
enum class RuleFailure {
    FailClosed, ///< refuse what was asked (booking validation)
    CallerDefault, ///< carry on with the caller's default, as if no script defined the hook
};

/// A hook a plugin offers the clinic: a global Lua function of that name
/// that the plugin calls with a ctx table and reads the answer of.
struct RuleHook {
    std::string name; ///< the global function, e.g. before_book: [a-z][a-z0-9_]*
    std::string doc; ///< one line: its ctx and its answer (GET /api/v1/system/rules)
    RuleFailure onFailure = RuleFailure::FailClosed;
};

/// A declared hook and the plugin that declared it.
struct DeclaredRuleHook : RuleHook {
    std::string plugin;
};

/// What every hook call reports besides its answer.
struct RuleOutcome {
    /// False: the loaded scripts define no such hook and the answer is the
    /// caller's default (no Lua ran).
    bool hookExists = false;
    /// The rules generation that answered (0: no rules loaded).
    std::uint64_t generation = 0;
    /// The script's error (Lua message with file:line, a budget or memory
    /// limit, or a return value of the wrong type); empty when it ran clean.
    /// When set, the answer is the hook's failure mode.
    std::string error;

    bool failed() const { return !error.empty(); }
};

/// A hook's answer as the script returned it. values holds each Lua result
/// converted: a table with keys 1..n a Poco::JSON::Array::Ptr, any other
/// table a Poco::JSON::Object::Ptr (integer keys as strings), a string, an
/// Int64, a double, a bool, or empty for nil (and for what is not data: a
/// function, a coroutine). luaTypes holds each result's Lua type name
/// ("nil", "boolean", "number", "string", "table", "function", ...), so a
/// reader names exactly what a script returned. Both are empty when the hook
/// is missing or failed.
struct RuleAnswer : RuleOutcome {
    std::vector<Poco::Dynamic::Var> values;
    std::vector<std::string> luaTypes;
    RuleFailure onFailure = RuleFailure::FailClosed; ///< as the hook was declared
};

/// What a caller's reader made of a hook's answer: whether it allows what
/// was asked (counted as allow or reject in clinicd_rule_evaluations_total;
/// a hook that only answers a value allows), or why the answer has the wrong
/// shape (then it is a rule error, logged and counted like a script error).
struct RuleVerdict {
    bool allowed = true;
    std::string error;
};
/// Reads a clean answer (the hook exists and ran without an error).
using RuleAnswerReader = std::function<RuleVerdict(const RuleAnswer& answer)>;

/// The answer shape several hooks share: true (or nil, or nothing) allows;
/// false with an optional reason string refuses. A failure refuses with
/// reason "rule error" when the hook fails closed, and allows otherwise.
struct RuleDecision : RuleOutcome {
    bool allowed = true;
    std::string reason; ///< why not, when !allowed
};

/// What is loaded now.
struct RulesInfo {
    std::uint64_t generation = 0;
    std::string dir;
    std::vector<std::string> files; ///< in load order
    std::vector<std::string> hooks; ///< declared hooks the scripts define
    std::vector<DeclaredRuleHook> declared; ///< every declared hook, by name
    /// Global functions the scripts define that no plugin declared, as
    /// "file:line: function NAME is not a hook any plugin declares".
    std::vector<std::string> warnings;
};

/// The clinic's policy in Lua (rules.dir, documented in lua/README.md).
/// The engine knows no hook by name: a plugin declares the hooks it owns in
/// Plugin::declareRuleHooks() and calls them with call() or decide().
/// Every call is safe from any thread: each worker thread runs its own Lua
/// state of the current generation, under an instruction budget and a memory
/// cap. ctx is converted to a Lua table (nested objects and arrays included)
/// for that one call; a script cannot change the caller's object.
class RuleEngine {
public:
    virtual ~RuleEngine() = default;

    /// Declares a hook owned by the calling plugin. Throws std::invalid_argument
    /// for a malformed name or one another plugin (or this one) declared.
    virtual void declare(const RuleHook& hook) = 0;

    /// Calls the hook with ctx. A missing hook answers nothing (hookExists
    /// false); a script error sets error. read, when given, runs on a clean
    /// answer before the call is counted and logged; an error it returns
    /// becomes the answer's error. Throws std::logic_error for a hook nobody
    /// declared: that is a programming error, not the clinic's.
    virtual RuleAnswer call(const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
        const RuleHelpers& helpers = {}, const RuleAnswerReader& read = {})
        = 0;

    /// The generation serving now, with every declared hook.
    virtual RulesInfo current() const = 0;
};

/// hook(ctx) -> true | false, "reason" (see RuleDecision). Missing hook:
/// allowed. A wrong answer type is reported as "<hook> returned a table,
/// expected true or false, \"reason\"".
RuleDecision decide(RuleEngine& rules, const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
    const RuleHelpers& helpers = {});

} // namespace clinic
