#include "rules/RuleEngineImpl.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <unordered_map>

#include <lua.hpp>

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace clinic::rules {

namespace {

constexpr std::array<const char*, kHookCount> kHookNames
    = {"before_book", "before_prescribe", "cancel_policy", "slot_length", "reminders"};

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

/// Reads one result as an integer: a Lua integer, or a float with an exact
/// integer value. Strings that look like numbers are not numbers here.
bool integerAt(lua_State* L, int idx, lua_Integer& out)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        return false;
    int isnum = 0;
    out = lua_tointegerx(L, idx, &isnum);
    return isnum != 0;
}

/// t[key] without metamethods (a script's table may carry any).
int rawField(lua_State* L, int idx, const char* key)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

std::string stringAt(lua_State* L, int idx)
{
    std::size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return std::string(s, std::min<std::size_t>(len, 500));
}

} // namespace

const char* hookName(Hook hook)
{
    return kHookNames[static_cast<std::size_t>(hook)];
}

std::string RuleLoadError::text() const
{
    std::string out;
    if (!file.empty())
        out = file + (line > 0 ? ":" + std::to_string(line) : "") + ": ";
    return out + message;
}

struct RuleEngineImpl::ThreadState {
    std::uint64_t number = 0;
    std::shared_ptr<const RuleGeneration> generation;
    std::unique_ptr<LuaSandbox> sandbox;
    std::array<int, kHookCount> refs {};
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
        // Looked up once: the call path only touches atomics.
        const prometheus::Histogram::BucketBoundaries buckets
            = {0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.1, 1};
        for (std::size_t h = 0; h < kHookCount; ++h) {
            allow[h] = &evaluations.Add({{"hook", kHookNames[h]}, {"outcome", "allow"}});
            reject[h] = &evaluations.Add({{"hook", kHookNames[h]}, {"outcome", "reject"}});
            error[h] = &evaluations.Add({{"hook", kHookNames[h]}, {"outcome", "error"}});
            seconds[h] = &duration.Add({{"hook", kHookNames[h]}}, buckets);
        }
    }
    prometheus::Family<prometheus::Counter>& evaluations;
    prometheus::Family<prometheus::Histogram>& duration;
    prometheus::Family<prometheus::Counter>& reloads;
    prometheus::Gauge& generation;
    prometheus::Counter& reloadOk;
    prometheus::Counter& reloadFailed;
    std::array<prometheus::Counter*, kHookCount> allow {};
    std::array<prometheus::Counter*, kHookCount> reject {};
    std::array<prometheus::Counter*, kHookCount> error {};
    std::array<prometheus::Histogram*, kHookCount> seconds {};
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

RuleBuild RuleEngineImpl::build(const std::string& dir, const SandboxLimits& limits, std::uint64_t number,
    std::shared_ptr<RuleGeneration>& out)
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
    // limits, and each hook name is a function or absent.
    LuaSandbox sandbox(limits, Poco::Logger::get("clinicd.rules"));
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
    for (std::size_t h = 0; h < kHookCount; ++h) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        const int type = rawField(L, -1, kHookNames[h]);
        const std::string typeName = lua_typename(L, type);
        lua_settop(L, 0);
        if (type == LUA_TNIL)
            continue;
        if (type != LUA_TFUNCTION) {
            result.error
                = {"", 0, std::string("hook ") + kHookNames[h] + " is a " + typeName + ", not a function"};
            return result;
        }
        generation->hooks[h] = true;
        result.info.hooks.push_back(kHookNames[h]);
    }
    result.ok = true;
    result.info.generation = number;
    out = std::move(generation);
    return result;
}

RuleBuild RuleEngineImpl::check(const std::string& dir, const SandboxLimits& limits)
{
    std::shared_ptr<RuleGeneration> unused;
    return build(dir, limits, 0, unused);
}

RuleBuild RuleEngineImpl::reload()
{
    // Built outside _mutex: a worker thread moving to the current
    // generation never waits for scripts being checked.
    std::lock_guard<std::mutex> reloading(_reloadMutex);
    std::shared_ptr<RuleGeneration> generation;
    const std::uint64_t next = _number.load() + 1;
    RuleBuild result = build(_dir, _limits, next, generation);
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
    return result;
}

RulesInfo RuleEngineImpl::current() const
{
    std::lock_guard<std::mutex> lock(_mutex);
    RulesInfo info;
    info.dir = _dir;
    if (!_generation)
        return info;
    info.generation = _generation->number;
    for (const auto& f : _generation->files)
        info.files.push_back(f.first);
    for (std::size_t h = 0; h < kHookCount; ++h)
        if (_generation->hooks[h])
            info.hooks.push_back(kHookNames[h]);
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
    state->refs.fill(LUA_NOREF);
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
        // The hooks are looked up once per generation and kept as
        // references: a call is one registry read.
        lua_State* L = state->sandbox->state();
        state->sandbox->setHostSide(true);
        for (std::size_t h = 0; h < kHookCount; ++h) {
            if (!generation->hooks[h])
                continue;
            lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
            if (rawField(L, -1, kHookNames[h]) == LUA_TFUNCTION)
                state->refs[h] = luaL_ref(L, LUA_REGISTRYINDEX);
            lua_settop(L, 0);
        }
    }
    ThreadState* raw = state.get();
    tlsStates.erase(_id);
    tlsStates.emplace(_id, std::unique_ptr<void, void (*)(void*)>(state.release(), [](void* p) {
        delete static_cast<ThreadState*>(p);
    }));
    return raw;
}

int RuleEngineImpl::invoke(Hook hook, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers,
    RuleOutcome& outcome, ThreadState*& state)
{
    const auto h = static_cast<std::size_t>(hook);
    std::string error;
    state = threadState(error);
    if (!state) {
        outcome.hookExists = true;
        outcome.generation = _number.load();
        outcome.error = error;
        return -1;
    }
    outcome.generation = state->generation ? state->generation->number : 0;
    if (state->refs[h] == LUA_NOREF) {
        outcome.hookExists = false;
        return 0;
    }
    outcome.hookExists = true;
    state->started = std::chrono::steady_clock::now();
    const int n = state->sandbox->call(state->refs[h], ctx, &helpers, outcome.error);
    return n;
}

void RuleEngineImpl::finish(Hook hook, ThreadState* state, const RuleOutcome& outcome, bool allowed)
{
    const auto h = static_cast<std::size_t>(hook);
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
        _log.error("rules: %s (generation %s) failed after %.1f ms: %s", std::string(kHookNames[h]),
            std::to_string(outcome.generation), seconds * 1000.0, outcome.error);
    if (!_metrics)
        return;
    if (state)
        _metrics->seconds[h]->Observe(seconds);
    (outcome.failed() ? _metrics->error[h] : allowed ? _metrics->allow[h] : _metrics->reject[h])->Increment();
}

namespace {

/// before_book / before_prescribe: true, nil or nothing allows; false with
/// an optional reason string rejects; anything else is a rule error.
void readDecision(lua_State* L, int n, RuleDecision& out, const char* hook)
{
    const int type = n >= 1 ? lua_type(L, 1) : LUA_TNIL;
    if (type == LUA_TNIL || (type == LUA_TBOOLEAN && lua_toboolean(L, 1))) {
        out.allowed = true;
        return;
    }
    if (type != LUA_TBOOLEAN) {
        out.error = std::string(hook) + " returned a " + lua_typename(L, type)
            + ", expected true or false, \"reason\"";
        return;
    }
    out.allowed = false;
    const int reasonType = n >= 2 ? lua_type(L, 2) : LUA_TNIL;
    if (reasonType == LUA_TSTRING)
        out.reason = stringAt(L, 2);
    else if (reasonType == LUA_TNIL)
        out.reason = "not allowed by the clinic's rules";
    else
        out.error
            = std::string(hook) + " returned a " + lua_typename(L, reasonType) + " reason, expected a string";
}

} // namespace

RuleDecision RuleEngineImpl::beforeBook(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers)
{
    RuleDecision out;
    ThreadState* state = nullptr;
    const int n = invoke(Hook::BeforeBook, ctx, helpers, out, state);
    if (n >= 0 && out.hookExists)
        readDecision(state->sandbox->state(), n, out, "before_book");
    if (out.failed()) {
        out.allowed = false; // fails closed
        out.reason = "rule error";
    }
    finish(Hook::BeforeBook, state, out, out.allowed);
    return out;
}

RuleDecision RuleEngineImpl::beforePrescribe(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers)
{
    RuleDecision out;
    ThreadState* state = nullptr;
    const int n = invoke(Hook::BeforePrescribe, ctx, helpers, out, state);
    if (n >= 0 && out.hookExists)
        readDecision(state->sandbox->state(), n, out, "before_prescribe");
    if (out.failed()) {
        out.allowed = false; // fails closed
        out.reason = "rule error";
    }
    finish(Hook::BeforePrescribe, state, out, out.allowed);
    return out;
}

CancelDecision RuleEngineImpl::cancelPolicy(const Poco::JSON::Object::Ptr& ctx, const RuleHelpers& helpers)
{
    CancelDecision out;
    ThreadState* state = nullptr;
    const int n = invoke(Hook::CancelPolicy, ctx, helpers, out, state);
    if (n >= 0 && out.hookExists) {
        lua_State* L = state->sandbox->state();
        const int type = n >= 1 ? lua_type(L, 1) : LUA_TNIL;
        if (type == LUA_TNIL) {
            out.allowed = true;
        } else if (type == LUA_TBOOLEAN) {
            out.allowed = lua_toboolean(L, 1);
            if (!out.allowed && n >= 2 && lua_type(L, 2) == LUA_TSTRING)
                out.reason = stringAt(L, 2);
        } else if (type == LUA_TTABLE) {
            const int allowedType = rawField(L, 1, "allowed");
            if (allowedType != LUA_TBOOLEAN)
                out.error = std::string("cancel_policy: allowed is a ") + lua_typename(L, allowedType)
                    + ", expected a boolean";
            else
                out.allowed = lua_toboolean(L, -1);
            lua_pop(L, 1);
            const int feeType = rawField(L, 1, "fee_minor");
            lua_Integer fee = 0;
            if (feeType != LUA_TNIL) {
                if (!integerAt(L, -1, fee) || fee < 0)
                    out.error = "cancel_policy: fee_minor must be a non-negative integer";
                else
                    out.feeMinor = static_cast<std::int64_t>(fee);
            }
            lua_pop(L, 1);
            const int reasonType = rawField(L, 1, "reason");
            if (reasonType == LUA_TSTRING)
                out.reason = stringAt(L, -1);
            else if (reasonType != LUA_TNIL)
                out.error = "cancel_policy: reason must be a string";
            lua_pop(L, 1);
        } else {
            out.error = std::string("cancel_policy returned a ") + lua_typename(L, type)
                + ", expected {allowed = bool, fee_minor = int?}";
        }
        if (!out.allowed && out.reason.empty() && !out.failed())
            out.reason = "cancellation not allowed by the clinic's rules";
    }
    if (out.failed()) {
        out.allowed = false; // fails closed
        out.feeMinor.reset();
        out.reason = "rule error";
    }
    finish(Hook::CancelPolicy, state, out, out.allowed);
    return out;
}

SlotLengthDecision RuleEngineImpl::slotLength(
    const Poco::JSON::Object::Ptr& ctx, int defaultMinutes, const RuleHelpers& helpers)
{
    SlotLengthDecision out;
    out.minutes = defaultMinutes;
    ThreadState* state = nullptr;
    const int n = invoke(Hook::SlotLength, ctx, helpers, out, state);
    if (n >= 0 && out.hookExists) {
        lua_State* L = state->sandbox->state();
        lua_Integer minutes = 0;
        if (n == 0 || lua_type(L, 1) == LUA_TNIL) {
            // nil: the script has no opinion for this slot
        } else if (!integerAt(L, 1, minutes)) {
            out.error = std::string("slot_length returned a ") + lua_typename(L, lua_type(L, 1))
                + ", expected integer minutes";
        } else if (minutes < 5 || minutes > 480) {
            out.error = "slot_length returned " + std::to_string(minutes) + ", expected 5..480 minutes";
        } else {
            out.minutes = static_cast<int>(minutes);
        }
    }
    if (out.failed())
        out.minutes = defaultMinutes; // falls back to the default
    finish(Hook::SlotLength, state, out, true);
    return out;
}

ReminderPlan RuleEngineImpl::reminders(
    const Poco::JSON::Object::Ptr& ctx, const std::vector<Reminder>& defaults, const RuleHelpers& helpers)
{
    ReminderPlan out;
    out.reminders = defaults;
    ThreadState* state = nullptr;
    const int n = invoke(Hook::Reminders, ctx, helpers, out, state);
    if (n >= 0 && out.hookExists && n >= 1 && lua_type(state->sandbox->state(), 1) != LUA_TNIL) {
        lua_State* L = state->sandbox->state();
        std::vector<Reminder> list;
        if (lua_type(L, 1) != LUA_TTABLE) {
            out.error = std::string("reminders returned a ") + lua_typename(L, lua_type(L, 1))
                + ", expected a list";
        } else {
            const auto count = static_cast<lua_Integer>(lua_rawlen(L, 1));
            if (count > 20)
                out.error
                    = "reminders returned " + std::to_string(count) + " entries, at most 20 are allowed";
            for (lua_Integer i = 1; i <= count && !out.failed(); ++i) {
                const std::string where = "reminders[" + std::to_string(i) + "]";
                if (lua_rawgeti(L, 1, i) != LUA_TTABLE) {
                    out.error = where + " is a " + std::string(luaL_typename(L, -1)) + ", expected a table";
                    break;
                }
                const int item = lua_gettop(L);
                // {offset_minutes = 1440, channel = "email"} or {1440, "email"}
                if (rawField(L, item, "offset_minutes") == LUA_TNIL) {
                    lua_pop(L, 1);
                    lua_rawgeti(L, item, 1);
                }
                if (rawField(L, item, "channel") == LUA_TNIL) {
                    lua_pop(L, 1);
                    lua_rawgeti(L, item, 2);
                }
                lua_Integer offset = 0;
                Reminder r;
                if (!integerAt(L, -2, offset) || offset < 1 || offset > 60 * 24 * 60)
                    out.error = where + ".offset_minutes must be an integer 1..86400";
                else if (lua_type(L, -1) != LUA_TSTRING)
                    out.error = where + ".channel must be a string";
                else {
                    r.offsetMinutes = static_cast<int>(offset);
                    r.channel = stringAt(L, -1);
                    if (r.channel != "email" && r.channel != "sms" && r.channel != "inapp")
                        out.error = where + ".channel must be email, sms or inapp, not " + r.channel;
                }
                lua_settop(L, item - 1);
                list.push_back(r);
            }
        }
        if (!out.failed())
            out.reminders = std::move(list);
    }
    if (out.failed())
        out.reminders = defaults; // falls back to the default
    finish(Hook::Reminders, state, out, true);
    return out;
}

} // namespace clinic::rules
