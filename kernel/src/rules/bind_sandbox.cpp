// The libraries a rule script may use. Everything that reaches outside the
// process (io, os.execute, os.exit, os.remove, os.getenv, package, require)
// or loads code the operator did not put in rules.dir (load, loadfile,
// dofile, string.dump's bytecode) is simply never there.

#include <cstring>

#include <lua.hpp>

#include "rules/Bindings.h"

namespace clinic::rules {

namespace {

/// collectgarbage("count") and ("collect") only: stopping or retuning the
/// collector would let a script defeat the memory cap.
int safeCollectGarbage(lua_State* L)
{
    const char* option = luaL_optstring(L, 1, "collect");
    if (std::strcmp(option, "count") == 0) {
        lua_pushnumber(L, static_cast<lua_Number>(lua_gc(L, LUA_GCCOUNT)) + lua_gc(L, LUA_GCCOUNTB) / 1024.0);
        return 1;
    }
    if (std::strcmp(option, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    }
    return luaL_error(L, "collectgarbage option '%s' is not available to rules", option);
}

void removeField(lua_State* L, const char* name)
{
    lua_pushnil(L);
    lua_setfield(L, -2, name);
}

} // namespace

void setupSandboxBindings(lua_State* L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    for (const char* name : {"dofile", "loadfile", "load", "loadstring", "require", "print"})
        removeField(L, name);
    lua_pushcfunction(L, &safeCollectGarbage);
    lua_setfield(L, -2, "collectgarbage");
    lua_pop(L, 1);

    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    removeField(L, "dump");
    lua_pop(L, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    lua_pop(L, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_pop(L, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_pop(L, 1);

    // os: a fresh table with the four clock functions copied over; the full
    // library is never reachable (not global, not in package.loaded).
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 4);
    for (const char* name : {"time", "date", "clock", "difftime"}) {
        lua_getfield(L, -2, name);
        lua_setfield(L, -2, name);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
    // luaL_requiref keeps every library in the registry's _LOADED table;
    // drop the full os from it.
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    removeField(L, LUA_OSLIBNAME);
    lua_pop(L, 1);
}

void pushClinicTable(lua_State* L)
{
    if (lua_getglobal(L, "clinic") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setglobal(L, "clinic");
    }
}

} // namespace clinic::rules
