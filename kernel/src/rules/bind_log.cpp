// clinic.log(...) and print(...): a script's own messages, in the daemon log
// under clinicd.rules, at information level.

#include <string>

#include <lua.hpp>

#include "rules/Bindings.h"

namespace clinic::rules {

namespace {

int logMessage(lua_State* L)
{
    auto* logger = static_cast<Poco::Logger*>(lua_touserdata(L, lua_upvalueindex(1)));
    const int n = lua_gettop(L);
    // luaL_tolstring may raise (a __tostring that errors): build the line
    // in Lua first, so no C++ object is alive if it does.
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; ++i) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, nullptr);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    std::size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    logger->information("rules: %s", std::string(text, len > 2000 ? 2000 : len));
    return 0;
}

} // namespace

void setupLogBindings(lua_State* L, Poco::Logger& logger)
{
    pushClinicTable(L);
    lua_pushlightuserdata(L, &logger);
    lua_pushcclosure(L, &logMessage, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "log");
    lua_setglobal(L, "print");
    lua_pop(L, 1);
}

} // namespace clinic::rules
