// The ctx table a hook receives: the caller's JSON object converted field by
// field (nested objects and arrays too), plus the caller's read-only query
// helpers as ctx.NAME(args). Conversion runs on the host side of the memory
// cap, so it cannot fail half-way through C++ code.

#include <cmath>
#include <string>

#include <lua.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

#include "rules/Bindings.h"
#include "rules/LuaSandbox.h"

namespace clinic::rules {

namespace {

constexpr int kMaxDepth = 32;

void pushObject(lua_State* L, const Poco::JSON::Object& object, int depth);

void pushArray(lua_State* L, const Poco::JSON::Array& array, int depth)
{
    lua_createtable(L, static_cast<int>(array.size()), 0);
    lua_Integer i = 1;
    for (const auto& v : array) {
        pushVar(L, v, depth + 1);
        lua_rawseti(L, -2, i++);
    }
}

void pushObject(lua_State* L, const Poco::JSON::Object& object, int depth)
{
    lua_createtable(L, 0, static_cast<int>(object.size()));
    for (const auto& [key, value] : object) {
        lua_pushlstring(L, key.data(), key.size());
        pushVar(L, value, depth + 1);
        lua_rawset(L, -3);
    }
}

/// Runs the helper and pushes its answer, or pushes the error text and
/// returns false. Every C++ object lives and dies in here, so the caller
/// may raise the Lua error afterwards.
bool runHelper(lua_State* L, const RuleHelper& helper)
{
    LuaSandbox& sandbox = LuaSandbox::of(L);
    std::string error;
    try {
        Poco::Dynamic::Var args = lua_gettop(L) >= 1 ? toVar(L, 1) : Poco::Dynamic::Var();
        Poco::Dynamic::Var result = helper(args);
        sandbox.setHostSide(true);
        pushVar(L, result);
        sandbox.setHostSide(false);
        return true;
    } catch (const Poco::Exception& e) {
        error = e.displayText();
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown error";
    }
    sandbox.setHostSide(true);
    lua_pushfstring(L, "ctx helper failed: %s", error.c_str());
    sandbox.setHostSide(false);
    return false;
}

int helperTrampoline(lua_State* L)
{
    const lua_Integer serial = lua_tointeger(L, lua_upvalueindex(2));
    if (serial != LuaSandbox::of(L).activeCall())
        return luaL_error(L, "a ctx helper works only during the hook call that received it");
    const auto* helper = static_cast<const RuleHelper*>(lua_touserdata(L, lua_upvalueindex(1)));
    if (!runHelper(L, *helper))
        return lua_error(L);
    return 1;
}

bool isSequence(lua_State* L, int idx, lua_Integer& length)
{
    length = static_cast<lua_Integer>(lua_rawlen(L, idx));
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        ++count;
        lua_pop(L, 1);
    }
    return length > 0 && count == length;
}

} // namespace

void pushVar(lua_State* L, const Poco::Dynamic::Var& value, int depth)
{
    if (depth > kMaxDepth || !lua_checkstack(L, 4) || value.isEmpty()) {
        lua_pushnil(L);
        return;
    }
    const std::type_info& type = value.type();
    if (type == typeid(Poco::JSON::Object::Ptr)) {
        auto object = value.extract<Poco::JSON::Object::Ptr>();
        if (object)
            pushObject(L, *object, depth);
        else
            lua_pushnil(L);
    } else if (type == typeid(Poco::JSON::Array::Ptr)) {
        auto array = value.extract<Poco::JSON::Array::Ptr>();
        if (array)
            pushArray(L, *array, depth);
        else
            lua_pushnil(L);
    } else if (type == typeid(Poco::JSON::Object)) {
        pushObject(L, value.extract<Poco::JSON::Object>(), depth);
    } else if (type == typeid(Poco::JSON::Array)) {
        pushArray(L, value.extract<Poco::JSON::Array>(), depth);
    } else if (type == typeid(bool)) {
        lua_pushboolean(L, value.extract<bool>());
    } else if (value.isString()) {
        const std::string s = value.convert<std::string>();
        lua_pushlstring(L, s.data(), s.size());
    } else if (value.isInteger()) {
        // POCO reads JSON integers up to 2^64 - 1, which Lua's 64-bit signed
        // integers cannot hold: those become floats, as Lua itself reads them.
        Poco::Int64 whole = 0;
        try {
            whole = value.convert<Poco::Int64>();
        } catch (const Poco::RangeException&) {
            lua_pushnumber(L, value.convert<double>());
            return;
        }
        lua_pushinteger(L, static_cast<lua_Integer>(whole));
    } else if (value.isNumeric()) {
        lua_pushnumber(L, value.convert<double>());
    } else {
        const std::string s = value.convert<std::string>();
        lua_pushlstring(L, s.data(), s.size());
    }
}

Poco::Dynamic::Var toVar(lua_State* L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        return static_cast<bool>(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return static_cast<Poco::Int64>(lua_tointeger(L, idx));
        return static_cast<double>(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        std::size_t len = 0;
        const char* s = lua_tolstring(L, idx, &len);
        return std::string(s, len);
    }
    case LUA_TTABLE: {
        if (depth > kMaxDepth || !lua_checkstack(L, 4))
            return Poco::Dynamic::Var();
        lua_Integer length = 0;
        if (isSequence(L, idx, length)) {
            Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
            for (lua_Integer i = 1; i <= length; ++i) {
                lua_rawgeti(L, idx, i);
                array->add(toVar(L, -1, depth + 1));
                lua_pop(L, 1);
            }
            return array;
        }
        Poco::JSON::Object::Ptr object = new Poco::JSON::Object;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            std::string key;
            bool named = true; // "" is a key JSON allows; other kinds of key are left out
            if (lua_type(L, -2) == LUA_TSTRING) {
                std::size_t len = 0;
                const char* s = lua_tolstring(L, -2, &len);
                key.assign(s, len);
            } else if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2)) {
                key = std::to_string(lua_tointeger(L, -2)); // never lua_tolstring: it would break lua_next
            } else {
                named = false;
            }
            if (named)
                object->set(key, toVar(L, -1, depth + 1));
            lua_pop(L, 1);
        }
        return object;
    }
    default:
        return Poco::Dynamic::Var();
    }
}

void pushContext(
    lua_State* L, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers* helpers, long long callSerial)
{
    if (ctx)
        pushObject(L, *ctx, 0);
    else
        lua_newtable(L);
    if (helpers) {
        for (const auto& [name, helper] : *helpers) {
            lua_pushlightuserdata(L, const_cast<RuleHelper*>(&helper));
            lua_pushinteger(L, static_cast<lua_Integer>(callSerial));
            lua_pushcclosure(L, &helperTrampoline, 2);
            lua_setfield(L, -2, name.c_str());
        }
    }
}

void setupContextBindings(lua_State* L)
{
    (void)L;
}

} // namespace clinic::rules
