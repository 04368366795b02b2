#include "rules/RuleEngineImpl.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <lua.hpp>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "rules/Bindings.h"

namespace clinic::rules {

namespace {

std::atomic<std::uint64_t> nextEngineId {1};

/// "name.lua:12: message" -> {name.lua, 12, message}.
RuleLoadError parseLuaError(const std::string& text, const std::string& fallbackFile)
{
    static const std::regex located("^([^:\\s]+\\.lua):(\\d+): ([\\s\\S]*)$");
    std::smatch m;
    RuleLoadError e;
    if (std::regex_match(text, m, located)) {
        e.file = m[1];
        e.line = std::stoi(m[2]);
        e.message = m[3];
    } else {
        e.file = fallbackFile;
        e.message = text;
    }
    return e;
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// t[key] without metamethods (a script's table may carry any).
int rawField(lua_State* L, int idx, const char* key)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

/// A hook name is a plain Lua identifier in the clinic's style.
bool validHookName(const std::string& name)
{
    static const std::regex shape("^[a-z][a-z0-9_]{0,63}$");
    return std::regex_match(name, shape);
}

/// The names in the globals table, before any script ran: the sandbox's own
/// functions are nobody's hooks.
std::set<std::string> globalNames(lua_State* L)
{
    std::set<std::string> names;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING)
            names.insert(lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    lua_settop(L, 0);
    return names;
}

/// "file:line: function NAME is not a hook any plugin declares" for each
/// global Lua function the scripts added that no plugin declared: most
/// often a misspelt hook name, which would otherwise never run.
std::vector<std::string> undeclaredFunctions(
    lua_State* L, const std::set<std::string>& before, const std::set<std::string>& declared)
{
    std::vector<std::pair<std::pair<std::string, int>, std::string>> found;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION && !lua_iscfunction(L, -1)) {
            const std::string name = lua_tostring(L, -2);
            if (!before.count(name) && !declared.count(name)) {
                lua_Debug ar;
                lua_pushvalue(L, -1);
                lua_getinfo(L, ">S", &ar);
                found.push_back({{ar.short_src, ar.linedefined}, name});
            }
        }
        lua_pop(L, 1);
    }
    lua_settop(L, 0);
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (const auto& [where, name] : found)
        out.push_back(where.first + ":" + std::to_string(where.second) + ": function " + name
            + " is not a hook any plugin declares");
    return out;
}

} // namespace

std::string RuleLoadError::text() const
{
    std::string out;
    if (!file.empty())
        out = file + (line > 0 ? ":" + std::to_string(line) : "") + ": ";
    return out + message;
}

/// A declared hook with its metric series, looked up once at declaration:
/// the call path only touches atomics.
struct RuleEngineImpl::Declared {
    DeclaredRuleHook hook;
    bool withdrawn = false;
    prometheus::Counter* allow = nullptr;
    prometheus::Counter* reject = nullptr;
    prometheus::Counter* error = nullptr;
    prometheus::Histogram* seconds = nullptr;
};

struct RuleEngineImpl::ThreadState {
    /// A hook's function in this state: LUA_NOREF when the scripts do not define it.
    struct Slot {
        const Declared* declared = nullptr;
        int ref = LUA_NOREF;
    };
    std::uint64_t number = 0;
    std::shared_ptr<const RuleGeneration> generation;
    std::unique_ptr<LuaSandbox> sandbox;
    /// Looked up at a hook's first call on this thread and kept as a
    /// reference: a later call is one map lookup and one registry read.
    std::unordered_map<std::string, Slot> slots;
    std::chrono::steady_clock::time_point started;
};

namespace {

/// Each thread's states, one per engine; a thread that never calls a rule
/// never builds one. Freed when the thread ends.
using StateMap = std::unordered_map<std::uint64_t, std::unique_ptr<void, void (*)(void*)>>;
thread_local StateMap tlsStates;

} // namespace

struct RuleEngineImpl::Metrics {
    explicit Metrics(prometheus::Registry& registry)
        : evaluations(prometheus::BuildCounter()
                          .Name("clinicd_rule_evaluations_total")
                          .Help("Rule hook calls by hook and outcome (allow, reject, error)")
                          .Register(registry))
        , duration(prometheus::BuildHistogram()
                       .Name("clinicd_rule_evaluation_duration_seconds")
                       .Help("Time one rule hook call took, ctx conversion included")
                       .Register(registry))
        , reloads(prometheus::BuildCounter()
                      .Name("clinicd_rule_reloads_total")
                      .Help("Rule reloads by result (ok, failed)")
                      .Register(registry))
        , generation(prometheus::BuildGauge()
                         .Name("clinicd_rules_generation")
                         .Help("The rules generation serving now")
                         .Register(registry)
                         .Add({}))
        , reloadOk(reloads.Add({{"result", "ok"}}))
        , reloadFailed(reloads.Add({{"result", "failed"}}))
    {
    }

    /// A declared hook's series exist (at 0) from its declaration on.
    void add(Declared& d)
    {
        const prometheus::Histogram::BucketBoundaries buckets
            = {0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1};
        const std::string& name = d.hook.name;
        d.allow = &evaluations.Add({{"hook", name}, {"outcome", "allow"}});
        d.reject = &evaluations.Add({{"hook", name}, {"outcome", "reject"}});
        d.error = &evaluations.Add({{"hook", name}, {"outcome", "error"}});
        d.seconds = &duration.Add({{"hook", name}}, buckets);
    }

    prometheus::Family<prometheus::Counter>& evaluations;
    prometheus::Family<prometheus::Histogram>& duration;
    prometheus::Family<prometheus::Counter>& reloads;
    prometheus::Gauge& generation;
    prometheus::Counter& reloadOk;
    prometheus::Counter& reloadFailed;
};

RuleEngineImpl::RuleEngineImpl(std::string dir, SandboxLimits limits, prometheus::Registry* registry)
    : _id(nextEngineId++)
    , _dir(std::move(dir))
    , _limits(limits)
    , _log(Poco::Logger::get("clinicd.rules"))
{
    if (registry)
        _metrics = std::make_unique<Metrics>(*registry);
}

RuleEngineImpl::~RuleEngineImpl()
{
    // Other threads' states for this engine die with their threads.
    tlsStates.erase(_id);
}

void RuleEngineImpl::declare(const RuleHook& hook, const std::string& plugin)
{
    if (!validHookName(hook.name))
        throw std::invalid_argument("rule hook name '" + hook.name + "' is not of the form [a-z][a-z0-9_]*");
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _declared.find(hook.name);
    if (it != _declared.end() && !it->second->withdrawn)
        throw std::invalid_argument(
            "rule hook " + hook.name + " is already declared by plugin " + it->second->hook.plugin);
    if (it != _declared.end()) {
        // Declared again after its owner failed: same series, new owner.
        static_cast<RuleHook&>(it->second->hook) = hook;
        it->second->hook.plugin = plugin;
        it->second->withdrawn = false;
        return;
    }
    auto d = std::make_unique<Declared>();
    static_cast<RuleHook&>(d->hook) = hook;
    d->hook.plugin = plugin;
    if (_metrics)
        _metrics->add(*d);
    _declared.emplace(hook.name, std::move(d));
}

void RuleEngineImpl::withdraw(const std::string& plugin)
{
    std::lock_guard<std::mutex> lock(_mutex);
    for (auto& [name, d] : _declared)
        if (d->hook.plugin == plugin)
            d->withdrawn = true;
}

std::set<std::string> RuleEngineImpl::declaredNames() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    std::set<std::string> names;
    for (const auto& [name, d] : _declared)
        if (!d->withdrawn)
            names.insert(name);
    return names;
}

const RuleEngineImpl::Declared& RuleEngineImpl::declared(const std::string& hook) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _declared.find(hook);
    if (it == _declared.end() || it->second->withdrawn)
        throw std::logic_error("rule hook " + hook + " was called but no plugin declared it");
    return *it->second;
}

RuleBuild RuleEngineImpl::build(const std::string& dir, const SandboxLimits& limits, std::uint64_t number,
    const std::set<std::string>& declared, std::shared_ptr<RuleGeneration>& out)
{
    RuleBuild result;
    auto generation = std::make_shared<RuleGeneration>();
    generation->number = number;
    generation->dir = dir;
    result.info.dir = dir;
    try {
        Poco::File d(dir);
        if (d.exists() && d.isDirectory()) {
            std::vector<std::string> names;
            for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
                const std::string name = it.name();
                if (name.size() > 4 && name.compare(name.size() - 4, 4, ".lua") == 0 && it->isFile())
                    names.push_back(name);
            }
            std::sort(names.begin(), names.end());
            for (const auto& name : names)
                generation->files.emplace_back(name, readAll(Poco::Path(dir, name).toString()));
        } else if (d.exists()) {
            result.error = {"", 0, "rules.dir " + dir + " is not a directory"};
            return result;
        }
    } catch (const Poco::Exception& e) {
        result.error = {"", 0, "cannot read rules.dir " + dir + ": " + e.displayText()};
        return result;
    } catch (const std::exception& e) {
        result.error = {"", 0, e.what()};
        return result;
    }

    // The self-check: every file compiles and runs its top level under the
    // limits, and each declared hook name is a function or absent.
    LuaSandbox sandbox(limits, Poco::Logger::get("clinicd.rules"));
    sandbox.setHostSide(true);
    const std::set<std::string> builtIn = globalNames(sandbox.state());
    sandbox.setHostSide(false);
    for (const auto& [name, source] : generation->files) {
        result.info.files.push_back(name);
        std::string error = sandbox.runChunk(name, source);
        if (!error.empty()) {
            result.error = parseLuaError(error, name);
            return result;
        }
    }
    lua_State* L = sandbox.state();
    sandbox.setHostSide(true);
    for (const auto& hook : declared) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        const int type = rawField(L, -1, hook.c_str());
        const std::string typeName = lua_typename(L, type);
        lua_settop(L, 0);
        if (type == LUA_TNIL)
            continue;
        if (type != LUA_TFUNCTION) {
            result.error = {"", 0, "hook " + hook + " is a " + typeName + ", not a function"};
            return result;
        }
        generation->hooks.push_back(hook);
    }
    generation->warnings = undeclaredFunctions(L, builtIn, declared);
    result.ok = true;
    result.info.generation = number;
    result.info.hooks = generation->hooks;
    result.info.warnings = generation->warnings;
    out = std::move(generation);
    return result;
}

RuleBuild RuleEngineImpl::check() const
{
    std::shared_ptr<RuleGeneration> unused;
    RuleBuild result = build(_dir, _limits, 0, declaredNames(), unused);
    const RulesInfo now = current();
    result.info.declared = now.declared;
    return result;
}

RuleBuild RuleEngineImpl::reload()
{
    // Built outside _mutex: a worker thread moving to the current
    // generation never waits for scripts being checked.
    std::lock_guard<std::mutex> reloading(_reloadMutex);
    std::shared_ptr<RuleGeneration> generation;
    const std::uint64_t next = _number.load() + 1;
    RuleBuild result = build(_dir, _limits, next, declaredNames(), generation);
    if (!result.ok) {
        if (_metrics)
            _metrics->reloadFailed.Increment();
        _log.error("rules: reload rejected, generation %s keeps serving: %s", std::to_string(_number.load()),
            result.error.text());
        return result;
    }
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _generation = std::move(generation);
        _number.store(next, std::memory_order_release);
    }
    if (_metrics) {
        _metrics->reloadOk.Increment();
        _metrics->generation.Set(static_cast<double>(next));
    }
    std::string hooks;
    for (const auto& h : result.info.hooks)
        hooks += (hooks.empty() ? "" : ", ") + h;
    _log.information("rules: generation %s serving %z file(s) from %s; hooks: %s", std::to_string(next),
        result.info.files.size(), _dir, hooks.empty() ? "none" : hooks);
    for (const auto& w : result.info.warnings)
        _log.warning("rules: %s", w);
    result.info.declared = current().declared;
    return result;
}

RulesInfo RuleEngineImpl::current() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    RulesInfo info;
    info.dir = _dir;
    for (const auto& [name, d] : _declared)
        if (!d->withdrawn)
            info.declared.push_back(d->hook);
    if (!_generation)
        return info;
    info.generation = _generation->number;
    for (const auto& f : _generation->files)
        info.files.push_back(f.first);
    info.hooks = _generation->hooks;
    info.warnings = _generation->warnings;
    return info;
}

RuleEngineImpl::ThreadState* RuleEngineImpl::threadState(std::string& error)
{
    const std::uint64_t number = _number.load(std::memory_order_acquire);
    auto it = tlsStates.find(_id);
    if (it != tlsStates.end()) {
        auto* state = static_cast<ThreadState*>(it->second.get());
        if (state->number == number)
            return state;
    }
    // A new generation (or this thread's first call): build this thread's
    // state from the checked sources. Only this path takes the lock.
    std::shared_ptr<const RuleGeneration> generation;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        generation = _generation;
    }
    auto state = std::make_unique<ThreadState>();
    state->generation = generation;
    state->number = generation ? generation->number : 0;
    if (generation) {
        state->sandbox = std::make_unique<LuaSandbox>(_limits, Poco::Logger::get("clinicd.rules"));
        for (const auto& [name, source] : generation->files) {
            error = state->sandbox->runChunk(name, source);
            if (!error.empty()) {
                _log.error("rules: generation %s failed to load on this thread: %s",
                    std::to_string(generation->number), error);
                return nullptr;
            }
        }
        state->sandbox->setHostSide(true);
    }
    ThreadState* raw = state.get();
    tlsStates.erase(_id);
    tlsStates.emplace(_id, std::unique_ptr<void, void (*)(void*)>(state.release(), [](void* p) {
        delete static_cast<ThreadState*>(p);
    }));
    return raw;
}

RuleAnswer RuleEngineImpl::call(const std::string& hook, const Poco::JSON::Object::Ptr& ctx,
    const RuleHelpers& helpers, const RuleAnswerReader& read)
{
    RuleAnswer out;
    std::string error;
    ThreadState* state = threadState(error);
    auto slot = state ? state->slots.find(hook) : decltype(state->slots)::iterator {};
    const Declared* d = nullptr;
    if (state && slot != state->slots.end()) {
        d = slot->second.declared;
    } else {
        d = &declared(hook);
        if (state) {
            ThreadState::Slot s;
            s.declared = d;
            if (state->sandbox) {
                // Only the generation's checked hooks: a global that is not a
                // function never becomes one here.
                lua_State* L = state->sandbox->state();
                const auto& defined = state->generation->hooks;
                if (std::find(defined.begin(), defined.end(), hook) != defined.end()) {
                    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
                    if (rawField(L, -1, hook.c_str()) == LUA_TFUNCTION)
                        s.ref = luaL_ref(L, LUA_REGISTRYINDEX);
                    lua_settop(L, 0);
                }
            }
            slot = state->slots.emplace(hook, s).first;
        }
    }
    out.onFailure = d->hook.onFailure;
    if (!state) {
        out.hookExists = true;
        out.generation = _number.load();
        out.error = error;
        finish(*d, nullptr, out, false);
        return out;
    }
    out.generation = state->number;
    if (slot->second.ref == LUA_NOREF)
        return out;
    out.hookExists = true;
    state->started = std::chrono::steady_clock::now();
    lua_State* L = state->sandbox->state();
    const int n = state->sandbox->call(slot->second.ref, ctx, &helpers, out.error);
    RuleVerdict verdict;
    if (n >= 0) {
        out.values.reserve(static_cast<std::size_t>(n));
        out.luaTypes.reserve(static_cast<std::size_t>(n));
        for (int i = 1; i <= n; ++i) {
            out.luaTypes.emplace_back(luaL_typename(L, i));
            out.values.push_back(toVar(L, i));
        }
        lua_settop(L, 0);
        if (read) {
            try {
                verdict = read(out);
            } catch (const std::exception& e) {
                verdict.error = hook + ": " + e.what();
            }
            out.error = verdict.error;
        }
    }
    if (out.failed()) {
        out.values.clear();
        out.luaTypes.clear();
    }
    finish(*d, state, out, verdict.allowed);
    return out;
}

void RuleEngineImpl::finish(const Declared& d, ThreadState* state, const RuleOutcome& outcome, bool allowed)
{
    if (state && state->sandbox)
        lua_settop(state->sandbox->state(), 0);
    if (!outcome.hookExists)
        return;
    const double seconds = state
        ? std::chrono::duration<double>(std::chrono::steady_clock::now() - state->started).count()
        : 0.0;
    // As Kea logs a failing callout: the hook, the generation, the time it
    // took (a budget overrun shows as a slow call) and the script's error.
    if (outcome.failed())
        _log.error("rules: %s (generation %s) failed after %.1f ms: %s", d.hook.name,
            std::to_string(outcome.generation), seconds * 1000.0, outcome.error);
    if (!d.allow)
        return;
    if (state)
        d.seconds->Observe(seconds);
    (outcome.failed() ? d.error : allowed ? d.allow : d.reject)->Increment();
}

} // namespace clinic::rules
