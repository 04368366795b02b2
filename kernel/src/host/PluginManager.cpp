#include "host/PluginManager.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/SharedLibrary.h>

namespace clinic {

namespace {

using ApiVersionFn = int (*)();

std::string describe(const std::exception& e)
{
    if (auto pe = dynamic_cast<const Poco::Exception*>(&e))
        return pe->displayText();
    return e.what();
}

} // namespace

PluginManager::PluginManager(std::string directory)
    : _directory(std::move(directory))
    , _log(Poco::Logger::get("clinicd.plugins"))
{
}

PluginManager::~PluginManager()
{
    destroyAll();
}

void PluginManager::fail(PluginRecord& plugin, const std::string& why)
{
    plugin.state = "failed";
    plugin.error = why;
    _log.error("plugin %s failed: %s", plugin.name, why);
}

void PluginManager::load(const std::vector<std::string>& names)
{
    for (const auto& name : names) {
        if (std::any_of(_plugins.begin(), _plugins.end(), [&](const auto& p) { return p->name == name; }))
            continue;
        auto record = std::make_unique<PluginRecord>();
        record->name = name;
        record->path = Poco::Path(_directory).append("clinic_" + name + ".so").toString();
        PluginRecord& plugin = *record;
        _plugins.push_back(std::move(record));

        if (!Poco::File(plugin.path).exists()) {
            fail(plugin, "no plugin file " + plugin.path);
            continue;
        }
        // The ABI check runs before POCO's manifest code: a plugin built
        // against another SDK must not get to run anything of ours.
        Poco::SharedLibrary library;
        try {
            library.load(plugin.path);
        } catch (const Poco::Exception& e) {
            fail(plugin, "cannot load " + plugin.path + ": " + e.displayText());
            continue;
        }
        if (!library.hasSymbol("clinic_plugin_api_version")) {
            library.unload();
            fail(plugin,
                plugin.path
                    + " does not export clinic_plugin_api_version: "
                      "not a clinicd plugin (declare it with CLINIC_PLUGIN)");
            continue;
        }
        auto apiVersion = reinterpret_cast<ApiVersionFn>(library.getSymbol("clinic_plugin_api_version"));
        const int version = apiVersion();
        if (version != kPluginApiVersion) {
            library.unload();
            fail(plugin,
                "built for plugin API " + std::to_string(version) + ", this clinicd speaks "
                    + std::to_string(kPluginApiVersion) + ": rebuild the plugin against this SDK");
            continue;
        }
        try {
            _loader.loadLibrary(plugin.path);
            const auto& manifest = _loader.manifestFor(plugin.path);
            if (manifest.size() != 1)
                throw Poco::LibraryLoadException("the manifest must export exactly one plugin class, it has "
                    + std::to_string(manifest.size()));
            plugin.instance = manifest.begin()->create();
            if (plugin.instance->name() != name)
                throw Poco::LibraryLoadException("the file is named for " + name
                    + " but the plugin calls itself " + plugin.instance->name());
            plugin.version = plugin.instance->version();
            plugin.dependencies = plugin.instance->dependencies();
            plugin.state = "loaded";
            _log.information("loaded plugin %s %s from %s", plugin.name, plugin.version, plugin.path);
        } catch (const std::exception& e) {
            delete plugin.instance;
            plugin.instance = nullptr;
            fail(plugin, "cannot load " + plugin.path + ": " + describe(e));
        } catch (...) {
            delete plugin.instance;
            plugin.instance = nullptr;
            fail(plugin, "cannot load " + plugin.path + ": unknown exception");
        }
        library.unload(); // the class loader holds its own reference
    }
}

void PluginManager::resolve()
{
    std::map<std::string, PluginRecord*> byName;
    for (auto& p : _plugins)
        byName[p->name] = p.get();

    // Missing and failed dependencies, repeated until nothing changes so a
    // failure propagates along chains.
    bool changed = true;
    while (changed) {
        changed = false;
        for (auto& p : _plugins) {
            if (p->state != "loaded")
                continue;
            for (const auto& dep : p->dependencies) {
                auto it = byName.find(dep);
                if (it == byName.end()) {
                    fail(*p, "requires plugin " + dep + ", which is not in plugins.load");
                    changed = true;
                    break;
                }
                if (it->second->state == "failed") {
                    fail(*p, "requires plugin " + dep + ", which failed");
                    changed = true;
                    break;
                }
            }
        }
    }

    // Depth-first ordering; a back edge is a cycle, reported with its path.
    std::map<std::string, int> mark; // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    _order.clear();
    std::function<bool(PluginRecord*)> visit = [&](PluginRecord* p) -> bool {
        if (mark[p->name] == 2)
            return p->state == "loaded";
        if (mark[p->name] == 1) {
            auto start = std::find(path.begin(), path.end(), p->name);
            std::string cycle;
            for (auto it = start; it != path.end(); ++it)
                cycle += *it + " -> ";
            cycle += p->name;
            for (auto it = start; it != path.end(); ++it)
                if (byName[*it]->state == "loaded")
                    fail(*byName[*it], "dependency cycle: " + cycle);
            return false;
        }
        mark[p->name] = 1;
        path.push_back(p->name);
        bool ok = p->state == "loaded";
        for (const auto& dep : p->dependencies) {
            auto it = byName.find(dep);
            if (it == byName.end() || !visit(it->second)) {
                if (ok && p->state == "loaded")
                    fail(*p, "requires plugin " + dep + ", which cannot start");
                ok = false;
            }
        }
        path.pop_back();
        mark[p->name] = 2;
        if (ok && p->state == "loaded")
            _order.push_back(p);
        return ok && p->state == "loaded";
    };
    for (auto& p : _plugins)
        visit(p.get());
    // A plugin ordered before a later cycle failure of its dependency is dropped.
    _order.erase(
        std::remove_if(_order.begin(), _order.end(), [](PluginRecord* p) { return p->state != "loaded"; }),
        _order.end());
}

std::vector<PluginRecord*> PluginManager::startOrder()
{
    return _order;
}

bool PluginManager::guarded(PluginRecord& plugin, const std::string& stage, const std::function<void()>& fn)
{
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    try {
        fn();
        return true;
    } catch (const std::exception& e) {
        error = describe(e);
    } catch (...) {
        error = "unknown exception";
    }
    const auto ms
        = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count();
    fail(plugin, stage + " threw after " + std::to_string(ms) + " ms: " + error);
    // Everything that needs this plugin cannot run either.
    bool changed = true;
    while (changed) {
        changed = false;
        for (auto& p : _plugins) {
            if (p->state == "failed" || p->state == "started")
                continue;
            for (const auto& dep : p->dependencies) {
                auto it = std::find_if(
                    _plugins.begin(), _plugins.end(), [&](const auto& q) { return q->name == dep; });
                if (it != _plugins.end() && (*it)->state == "failed") {
                    fail(*p, "requires plugin " + dep + ", which failed");
                    changed = true;
                    break;
                }
            }
        }
    }
    return false;
}

bool PluginManager::allStarted() const
{
    return std::all_of(_plugins.begin(), _plugins.end(), [](const auto& p) { return p->state == "started"; });
}

void PluginManager::destroyAll()
{
    for (auto& p : _plugins) {
        delete p->instance;
        p->instance = nullptr;
    }
}

} // namespace clinic
