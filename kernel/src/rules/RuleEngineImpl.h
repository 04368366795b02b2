#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
    RulesInfo info; ///< info.warnings: functions no plugin declared
    RuleLoadError error;
};

/// One loaded set of scripts: the sources are kept, so every worker thread
/// builds its own state from exactly what was checked, whatever happens to
/// the files afterwards.
struct RuleGeneration {
    std::uint64_t number = 0;
    std::string dir;
    std::vector<std::pair<std::string, std::string>> files; ///< name, source
    std::vector<std::string> hooks; ///< declared hooks the scripts define
    std::vector<std::string> warnings;
};

/// The kernel's RuleEngine: declared hooks, generations, reload, and the
/// calls. It knows no hook by name: plugins declare theirs (through
/// PluginRules, which names the owner).
class RuleEngineImpl : public RuleEngine {
public:
    /// registry may be null (no metrics).
    RuleEngineImpl(std::string dir, SandboxLimits limits, prometheus::Registry* registry);
    ~RuleEngineImpl() override;

    /// Declares hook on behalf of plugin; registers its metric series. Throws
    /// std::invalid_argument for a malformed name or one already declared.
    void declare(const RuleHook& hook, const std::string& plugin);
    /// As declare(hook, "kernel") (the engine's own tests).
    void declare(const RuleHook& hook) override { declare(hook, "kernel"); }
    /// Forgets the hooks of a plugin that failed to start: they are no longer
    /// listed and a script defining them is warned about again.
    void withdraw(const std::string& plugin);

    /// Builds a generation from the directory, self-checks it against the
    /// declared hooks and swaps it in only on success; on failure the old one
    /// keeps serving.
    RuleBuild reload();

    /// Builds and self-checks the scripts against the declared hooks without
    /// serving them (clinicd --check-config).
    RuleBuild check() const;

    RuleAnswer call(const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
        const RuleHelpers& helpers = {}, const RuleAnswerReader& read = {}) override;
    RulesInfo current() const override;

private:
    struct ThreadState;
    struct Metrics;
    struct Declared;

    /// This thread's state for the current generation, built on first use.
    ThreadState* threadState(std::string& error);
    /// The declared hook, or a throw: calling an undeclared hook is a bug.
    const Declared& declared(const std::string& hook) const;
    std::set<std::string> declaredNames() const;
    void finish(const Declared& hook, ThreadState* state, const RuleOutcome& outcome, bool allowed);

    static RuleBuild build(const std::string& dir, const SandboxLimits& limits, std::uint64_t number,
        const std::set<std::string>& declared, std::shared_ptr<RuleGeneration>& out);

    const std::uint64_t _id;
    const std::string _dir;
    const SandboxLimits _limits;
    Poco::Logger& _log;
    std::mutex _reloadMutex; ///< one reload at a time
    mutable std::mutex _mutex; ///< guards _generation and _declared; never held while scripts run
    std::shared_ptr<const RuleGeneration> _generation;
    /// By name. Entries are never erased (a withdrawn one is only marked), so
    /// the pointers threads keep stay valid.
    std::map<std::string, std::unique_ptr<Declared>> _declared;
    std::atomic<std::uint64_t> _number {0};
    std::unique_ptr<Metrics> _metrics;
};

/// The RuleEngine a plugin's Host hands out: the kernel's engine, with
/// declarations made in the plugin's name.
class PluginRules : public RuleEngine {
public:
    PluginRules(RuleEngineImpl& engine, std::string plugin)
        : _engine(engine)
        , _plugin(std::move(plugin))
    {
    }
    void declare(const RuleHook& hook) override { _engine.declare(hook, _plugin); }
    RuleAnswer call(const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
        const RuleHelpers& helpers = {}, const RuleAnswerReader& read = {}) override
    {
        return _engine.call(hook, ctx, helpers, read);
    }
    RulesInfo current() const override { return _engine.current(); }

private:
    RuleEngineImpl& _engine;
    std::string _plugin;
};

} // namespace clinic::rules
