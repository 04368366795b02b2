#pragma once

// The Lua side of the rule engine, split by area as in PowerDNS's
// dnsdist-lua-bindings-*.cc: each file has one setup function that adds its
// area to a fresh sandboxed state. A new area is a new file and one line in
// LuaSandbox's constructor.

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include "clinic/Rules.h"

struct lua_State;

namespace clinic::rules {

/// bind_sandbox.cpp: base (without dofile, loadfile, load, print; with a
/// collectgarbage that only counts), string (without dump), table, math,
/// utf8 and an os with time, date, clock and difftime only.
void setupSandboxBindings(lua_State* L);

/// bind_log.cpp: clinic.log(msg) to the daemon log; print() goes there too.
void setupLogBindings(lua_State* L, Poco::Logger& logger);

/// bind_time.cpp: clinic.minutes_between(a, b), clinic.parse_time(s),
/// clinic.date_of(s), clinic.weekday_of(s) on "YYYY-MM-DDTHH:MM:SS" strings.
void setupTimeBindings(lua_State* L);

/// bind_context.cpp: nothing global yet; the ctx table is built per call.
void setupContextBindings(lua_State* L);

/// Pushes ctx as a new table, each helper as ctx.NAME (usable only during the
/// call numbered callSerial). Must run on the host side (no memory cap).
void pushContext(
    lua_State* L, const Poco::JSON::Object::Ptr& ctx, const RuleHelpers* helpers, long long callSerial);

/// Pushes a helper's answer (objects, arrays and scalars; empty is nil).
void pushVar(lua_State* L, const Poco::Dynamic::Var& value, int depth = 0);

/// The Lua value at idx as a Var: tables with keys 1..n become arrays,
/// other tables objects, nil empty.
Poco::Dynamic::Var toVar(lua_State* L, int idx, int depth = 0);

/// The global table "clinic", created on first use, pushed on the stack.
void pushClinicTable(lua_State* L);

} // namespace clinic::rules
