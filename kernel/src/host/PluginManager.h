#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <Poco/ClassLoader.h>
#include <Poco/Logger.h>

#include "clinic/Plugin.h"

namespace clinic {

/// One plugin named in plugins.load and what became of it.
struct PluginRecord {
    std::string name;
    std::string path;
    std::string version;
    std::vector<std::string> dependencies;
    std::string state = "missing"; ///< loaded, started, failed, stopped
    std::string error; ///< why it failed, naming the plugin
    Plugin* instance = nullptr;
};

/// Loads plugins from one directory only, checks their ABI before their code
/// runs through POCO, orders them by dependency and refuses what cannot work.
class PluginManager {
public:
    explicit PluginManager(std::string directory);
    ~PluginManager();

    /// Loads every named plugin from the directory as clinic_<name>.so. A
    /// failure marks that plugin failed and carries on with the rest.
    void load(const std::vector<std::string>& names);

    /// Orders loaded plugins so each comes after what it requires; marks
    /// plugins with missing or failed dependencies, and cycles, as failed.
    void resolve();

    /// The loaded plugins in start order (after resolve()).
    std::vector<PluginRecord*> startOrder();

    /// Runs fn for a plugin, turning any exception into the plugin's failure
    /// (and the failure of everything that depends on it). Returns success.
    bool guarded(PluginRecord& plugin, const std::string& stage, const std::function<void()>& fn);

    /// Every plugin named, in plugins.load order.
    const std::vector<std::unique_ptr<PluginRecord>>& plugins() const { return _plugins; }

    /// True if every named plugin is started.
    bool allStarted() const;

    /// Destroys the plugin objects (after stop) before the libraries unload.
    void destroyAll();

private:
    void fail(PluginRecord& plugin, const std::string& why);

    std::string _directory;
    Poco::ClassLoader<Plugin> _loader;
    std::vector<std::unique_ptr<PluginRecord>> _plugins;
    std::vector<PluginRecord*> _order;
    Poco::Logger& _log;
};

} // namespace clinic
