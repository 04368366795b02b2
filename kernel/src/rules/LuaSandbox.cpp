#include "rules/LuaSandbox.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include <lua.hpp>

#include "rules/Bindings.h"

namespace clinic::rules {

namespace {

struct CallArgs {
    int ref;
    const Poco::JSON::Object::Ptr* ctx;
    const RuleHelpers* helpers;
    long long serial;
};

void warnToLog(void* ud, const char* msg, int tocont)
{
    // Lua reports errors in finalizers as warnings; they are script faults.
    (void)tocont;
    static_cast<Poco::Logger*>(ud)->warning("rules: %s", std::string(msg));
}

} // namespace

LuaSandbox::LuaSandbox(const SandboxLimits& limits, Poco::Logger& logger)
    : _limits(limits)
    , _logger(logger)
{
    _L = lua_newstate(&LuaSandbox::allocate, this);
    if (!_L)
        throw std::bad_alloc();
    *static_cast<LuaSandbox**>(lua_getextraspace(_L)) = this;
    lua_setwarnf(_L, &warnToLog, &_logger);
    setupSandboxBindings(_L);
    setupLogBindings(_L, _logger);
    setupTimeBindings(_L);
    setupContextBindings(_L);
    lua_settop(_L, 0);
    armBudget();
    _hostSide = false;
}

LuaSandbox::~LuaSandbox()
{
    if (_L) {
        _hostSide = true;
        lua_close(_L);
    }
}

LuaSandbox& LuaSandbox::of(lua_State* L)
{
    return **static_cast<LuaSandbox**>(lua_getextraspace(L));
}

void* LuaSandbox::allocate(void* ud, void* ptr, std::size_t osize, std::size_t nsize)
{
    auto* self = static_cast<LuaSandbox*>(ud);
    // With ptr == NULL, osize encodes the object type, not a size.
    const std::size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        std::free(ptr);
        self->_used -= old;
        return nullptr;
    }
    if (nsize > old && !self->_hostSide && self->_used - old + nsize > self->_limits.memoryBytes) {
        self->_memoryHit = true;
        return nullptr; // Lua raises LUA_ERRMEM in the script
    }
    void* out = std::realloc(ptr, nsize);
    if (out)
        self->_used = self->_used - old + nsize;
    return out;
}

void LuaSandbox::countHook(lua_State* L, lua_Debug* ar)
{
    (void)ar;
    LuaSandbox& self = of(L);
    self._budgetHit = true;
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget of %d exceeded", static_cast<int>(self._limits.instructions));
    lua_concat(L, 2);
    lua_error(L);
}

void LuaSandbox::armBudget()
{
    // Setting the hook again resets its count: every call gets the full budget.
    lua_sethook(_L, &LuaSandbox::countHook, LUA_MASKCOUNT, static_cast<int>(_limits.instructions));
}

std::string LuaSandbox::errorText(int status)
{
    std::string text;
    if (status == LUA_ERRMEM || _memoryHit) {
        text = "memory limit of " + std::to_string(_limits.memoryBytes) + " bytes exceeded";
    } else if (lua_type(_L, -1) == LUA_TSTRING) {
        std::size_t len = 0;
        const char* s = lua_tolstring(_L, -1, &len);
        text.assign(s, len);
    } else {
        text = std::string("error object is a ") + luaL_typename(_L, -1) + " value";
    }
    lua_pop(_L, 1);
    // Drop what the failed call left behind so the next call starts with
    // the memory the scripts really hold.
    lua_gc(_L, LUA_GCCOLLECT);
    return text;
}

std::string LuaSandbox::runChunk(const std::string& name, const std::string& source)
{
    lua_settop(_L, 0);
    _memoryHit = _budgetHit = false;
    _hostSide = false;
    armBudget();
    const std::string chunkname = "@" + name;
    int status = luaL_loadbufferx(_L, source.data(), source.size(), chunkname.c_str(), "t");
    if (status == LUA_OK)
        status = lua_pcall(_L, 0, 0, 0);
    std::string error;
    _hostSide = true;
    if (status != LUA_OK)
        error = errorText(status);
    lua_settop(_L, 0);
    _hostSide = false;
    return error;
}

int LuaSandbox::protectedCall(lua_State* L)
{
    auto* args = static_cast<CallArgs*>(lua_touserdata(L, 1));
    LuaSandbox& self = of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, args->ref);
    self._hostSide = true;
    pushContext(L, *args->ctx, args->helpers, args->serial);
    self._hostSide = false;
    lua_call(L, 1, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

int LuaSandbox::call(
    int ref, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers* helpers, std::string& error)
{
    lua_settop(_L, 0);
    _memoryHit = _budgetHit = false;
    CallArgs args {ref, &ctx, helpers, ++_nextCall};
    _activeCall = args.serial;
    _hostSide = true;
    lua_pushcfunction(_L, &LuaSandbox::protectedCall);
    lua_pushlightuserdata(_L, &args);
    armBudget();
    int status = lua_pcall(_L, 1, LUA_MULTRET, 0);
    _hostSide = true; // reading the results must not fail
    _activeCall = 0;
    if (status != LUA_OK) {
        error = errorText(status);
        lua_settop(_L, 0);
        return -1;
    }
    return lua_gettop(_L);
}

} // namespace clinic::rules
