#pragma once

#include <cstddef>
#include <string>

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include "clinic/Rules.h"

struct lua_State;
struct lua_Debug;

namespace clinic::rules {

/// The limits every rule call runs under (rules.instruction_budget,
/// rules.memory_limit_bytes).
struct SandboxLimits {
    long instructions = 1000000;
    std::size_t memoryBytes = 16u * 1024u * 1024u;
};

/// One Lua 5.4 state with the sandboxed libraries, an allocator that refuses
/// to grow past the memory cap, and an instruction count hook that is armed
/// for the whole life of the state (finalizers a script sets run under it
/// too). Used by one thread at a time.
class LuaSandbox {
public:
    LuaSandbox(const SandboxLimits& limits, Poco::Logger& logger);
    ~LuaSandbox();
    LuaSandbox(const LuaSandbox&) = delete;
    LuaSandbox& operator=(const LuaSandbox&) = delete;

    lua_State* state() { return _L; }

    /// Compiles (text only, never bytecode) and runs one script under the
    /// limits. Returns "" or the error as "name:line: message".
    std::string runChunk(const std::string& name, const std::string& source);

    /// Calls the function stored at registry reference ref with a ctx table.
    /// On success the results are on the stack at 1..n and n is returned;
    /// on an error -1 and error is set. Callers clear the stack afterwards.
    int call(int ref, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers* helpers, std::string& error);

    /// The call a ctx helper belongs to; helpers kept past it refuse to run.
    long long activeCall() const { return _activeCall; }

    /// While set, allocations are not counted against the cap: the host's
    /// own conversions must not fail half-way (a Lua error there would unwind
    /// through C++ frames).
    void setHostSide(bool on) { _hostSide = on; }

    std::size_t memoryUsed() const { return _used; }

    static LuaSandbox& of(lua_State* L);

private:
    static void* allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize);
    static void countHook(lua_State* L, ::lua_Debug* ar);
    static int protectedCall(lua_State* L);
    std::string errorText(int status);
    void armBudget();

    SandboxLimits _limits;
    Poco::Logger& _logger;
    lua_State* _L = nullptr;
    std::size_t _used = 0;
    bool _hostSide = true;
    bool _memoryHit = false;
    bool _budgetHit = false;
    long long _activeCall = 0;
    long long _nextCall = 0;
};

} // namespace clinic::rules
