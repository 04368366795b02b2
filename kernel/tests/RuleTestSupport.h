#pragma once

// Rule engines over a temporary rules.dir, and ctx objects built from JSON,
// for the rule engine's unit suites.

#include <memory>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "TestSupport.h"
#include "rules/RuleEngineImpl.h"

namespace clinic::test {

inline Poco::JSON::Object::Ptr ctxFrom(const std::string& json)
{
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

/// slot_length as the engine's own tests read it: an integer, or the default.
struct Minutes : RuleOutcome {
    int minutes = 0;
};

/// A rules.dir with the given scripts and an engine serving them. Unless
/// told otherwise it declares the hooks the engine's tests call, as a plugin
/// would: before_book and before_prescribe (true | false, "reason"; fail
/// closed) and slot_length (integer minutes; the caller's default on error).
struct RulesFixture {
    TempDir dir;
    std::unique_ptr<rules::RuleEngineImpl> engine;

    explicit RulesFixture(rules::SandboxLimits limits = {}, bool declareTestHooks = true)
    {
        engine = std::make_unique<rules::RuleEngineImpl>(dir.path(), limits, nullptr);
        if (!declareTestHooks)
            return;
        engine->declare({"before_book", "test: -> true | false, reason", RuleFailure::FailClosed}, "test");
        engine->declare(
            {"before_prescribe", "test: -> true | false, reason", RuleFailure::FailClosed}, "test");
        engine->declare({"slot_length", "test: -> minutes | nil", RuleFailure::CallerDefault}, "test");
    }

    RuleDecision beforeBook(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {})
    {
        return decide(*engine, "before_book", ctx, helpers);
    }
    RuleDecision beforePrescribe(const Poco::JSON::Object::Ptr& ctx)
    {
        return decide(*engine, "before_prescribe", ctx);
    }

    /// An integer 5..480 or nil; anything else is a rule error and the default.
    Minutes slotLength(const Poco::JSON::Object::Ptr& ctx, int defaultMinutes)
    {
        Minutes out;
        out.minutes = defaultMinutes;
        const RuleAnswer answer = engine->call("slot_length", ctx, {}, [&](const RuleAnswer& a) {
            RuleVerdict verdict;
            if (a.luaTypes.empty() || a.luaTypes[0] == "nil")
                return verdict;
            if (a.values[0].type() != typeid(Poco::Int64)) {
                verdict.error = "slot_length returned a " + a.luaTypes[0] + ", expected integer minutes";
                return verdict;
            }
            const auto minutes = a.values[0].extract<Poco::Int64>();
            if (minutes < 5 || minutes > 480)
                verdict.error
                    = "slot_length returned " + std::to_string(minutes) + ", expected 5..480 minutes";
            else
                out.minutes = static_cast<int>(minutes);
            return verdict;
        });
        static_cast<RuleOutcome&>(out) = answer;
        if (answer.failed())
            out.minutes = defaultMinutes;
        return out;
    }

    void write(const std::string& name, const std::string& source) { writeFile(dir.file(name), source); }

    /// Writes one script and loads it; fails the test if it does not load.
    rules::RuleBuild load(const std::string& name, const std::string& source)
    {
        write(name, source);
        return engine->reload();
    }
};

} // namespace clinic::test
