#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Logger.h>

#include "clinic/Rules.h"
#include "rules/LuaSandbox.h"

namespace prometheus {
class Registry;
template<typename T> class Family;
class Counter;
class Gauge;
class Histogram;
} // namespace prometheus

namespace clinic::rules {

/// The hooks a script may define, by their global function names.
enum class Hook { BeforeBook, BeforePrescribe, CancelPolicy, SlotLength, Reminders };
constexpr std::size_t kHookCount = 5;
const char* hookName(Hook hook);

/// Where a script failed to load.
struct RuleLoadError {
    std::string file; ///< e.g. default.lua; empty when no one file is at fault
    int line = 0; ///< 0 when unknown
    std::string message; ///< the Lua message without file and line
    /// "file:line: message" (or as much of it as is known).
    std::string text() const;
};

/// The outcome of building a generation.
struct RuleBuild {
    bool ok = false;
    RulesInfo info;
    RuleLoadError error;
};

/// One loaded set of scripts: the sources are kept, so every worker thread
/// builds its own state from exactly what was checked, whatever happens to
/// the files afterwards.
struct RuleGeneration {
    std::uint64_t number = 0;
    std::string dir;
    std::vector<std::pair<std::string, std::string>> files; ///< name, source
    std::array<bool, kHookCount> hooks {};
};

/// The kernel's RuleEngine: generations, reload, and the calls.
class RuleEngineImpl : public RuleEngine {
public:
    /// registry may be null (no metrics).
    RuleEngineImpl(std::string dir, SandboxLimits limits, prometheus::Registry* registry);
    ~RuleEngineImpl() override;

    /// Builds a generation from the directory, self-checks it and swaps it
    /// in only on success; on failure the old one keeps serving.
    RuleBuild reload();

    /// Builds and self-checks the scripts in dir without serving them
    /// (clinicd --check-config).
    static RuleBuild check(const std::string& dir, const SandboxLimits& limits);

    RuleDecision beforeBook(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {}) override;
    RuleDecision beforePrescribe(
        const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {}) override;
    CancelDecision cancelPolicy(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers = {}) override;
    SlotLengthDecision slotLength(
        const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const RuleHelpers& helpers = {}) override;
    ReminderPlan reminders(const Poco::JSON::Object::Ptr& ctx, const std::vector<Reminder>& defaults,
        const RuleHelpers& helpers = {}) override;
    RulesInfo current() const override;

private:
    struct ThreadState;
    struct Metrics;

    /// This thread's state for the current generation, built on first use.
    ThreadState* threadState(std::string& error);
    /// Runs the hook; returns the number of results on the sandbox's stack,
    /// 0 with outcome.hookExists false for a missing hook, -1 on an error
    /// (outcome.error set). The caller reads the results, then calls finish().
    int invoke(Hook hook, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers,
        RuleOutcome& outcome, ThreadState*& state);
    void finish(Hook hook, ThreadState* state, const RuleOutcome& outcome, bool allowed);

    static RuleBuild build(const std::string& dir, const SandboxLimits& limits, std::uint64_t number,
        std::shared_ptr<RuleGeneration>& out);

    const std::uint64_t _id;
    const std::string _dir;
    const SandboxLimits _limits;
    Poco::Logger& _log;
    std::mutex _reloadMutex; ///< one reload at a time
    mutable std::mutex _mutex; ///< guards _generation; never held while scripts run
    std::shared_ptr<const RuleGeneration> _generation;
    std::atomic<std::uint64_t> _number {0};
    std::unique_ptr<Metrics> _metrics;
};

} // namespace clinic::rules
