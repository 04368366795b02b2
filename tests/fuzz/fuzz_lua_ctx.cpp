// A hook's ctx is the caller's JSON converted to a Lua table, and a hook's
// answer a Lua table converted back. Any JSON object a request could carry
// goes in and comes back as the same value, except what Lua cannot hold:
// nulls vanish (an array holding one becomes an object of its other
// indices), and an empty array or object may come back as either.

#include <cmath>
#include <cstdint>
#include <string>

#include <lua.hpp>

#include <Poco/JSON/Parser.h>

#include "rules/Bindings.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

bool hasNull(const Poco::JSON::Array& a)
{
    for (const auto& v : a)
        if (v.isEmpty())
            return true;
    return false;
}

int depthOf(const Poco::Dynamic::Var& v)
{
    int deepest = 0;
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
        for (const auto& [k, child] : *v.extract<Poco::JSON::Object::Ptr>())
            deepest = std::max(deepest, depthOf(child));
        return deepest + 1;
    }
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
        for (const auto& child : *v.extract<Poco::JSON::Array::Ptr>())
            deepest = std::max(deepest, depthOf(child));
        return deepest + 1;
    }
    return 0;
}

/// Whether back is what Lua should give for sent.
bool same(const Poco::Dynamic::Var& sent, const Poco::Dynamic::Var& back)
{
    const bool sentObject = sent.type() == typeid(Poco::JSON::Object::Ptr);
    const bool sentArray = sent.type() == typeid(Poco::JSON::Array::Ptr);
    const bool backObject = back.type() == typeid(Poco::JSON::Object::Ptr);
    const bool backArray = back.type() == typeid(Poco::JSON::Array::Ptr);
    if (sentArray) {
        auto a = sent.extract<Poco::JSON::Array::Ptr>();
        if (hasNull(*a))
            return backObject || backArray;
        if (a->size() == 0)
            return (backArray && back.extract<Poco::JSON::Array::Ptr>()->size() == 0)
                || (backObject && back.extract<Poco::JSON::Object::Ptr>()->size() == 0);
        if (!backArray)
            return false;
        auto b = back.extract<Poco::JSON::Array::Ptr>();
        if (a->size() != b->size())
            return false;
        for (std::size_t i = 0; i < a->size(); ++i)
            if (!same(a->get(i), b->get(i)))
                return false;
        return true;
    }
    if (sentObject) {
        auto o = sent.extract<Poco::JSON::Object::Ptr>();
        std::size_t kept = 0;
        for (const auto& [k, v] : *o)
            kept += v.isEmpty() ? 0 : 1;
        if (kept == 0)
            return (backObject && back.extract<Poco::JSON::Object::Ptr>()->size() == 0)
                || (backArray && back.extract<Poco::JSON::Array::Ptr>()->size() == 0);
        // An object whose keys are 1..n reads back as an array.
        if (!backObject)
            return backArray;
        auto b = back.extract<Poco::JSON::Object::Ptr>();
        if (b->size() != kept)
            return false;
        for (const auto& [k, v] : *o) {
            if (v.isEmpty())
                continue;
            if (!b->has(k) || !same(v, b->get(k)))
                return false;
        }
        return true;
    }
    if (sent.isEmpty())
        return back.isEmpty();
    if (sent.type() == typeid(bool))
        return back.type() == typeid(bool) && sent.extract<bool>() == back.extract<bool>();
    if (sent.isString())
        return back.isString() && sent.extract<std::string>() == back.extract<std::string>();
    if (sent.isNumeric())
        return back.isNumeric() && sent.convert<double>() == back.convert<double>();
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static lua_State* L = luaL_newstate();
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const Poco::Exception&) {
        return 0;
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
        return 0;
    auto ctx = parsed.extract<Poco::JSON::Object::Ptr>();
    const int top = lua_gettop(L);
    clinic::rules::pushContext(L, ctx, nullptr, 1);
    const Poco::Dynamic::Var back = clinic::rules::toVar(L, -1);
    lua_settop(L, top);
    // Deeper than the conversion's limit is cut off as nil; below it, all must survive.
    if (depthOf(parsed) <= 30)
        check(same(parsed, back));
    return 0;
}
