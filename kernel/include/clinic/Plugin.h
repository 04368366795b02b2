#pragma once

#include <string>
#include <vector>

#include <Poco/ClassLibrary.h>

#include "clinic/Migration.h"
#include "clinic/Rules.h"

namespace clinic {

class Host;

/// The plugin ABI version. The host refuses a plugin whose
/// clinic_plugin_api_version() returns anything else, before it runs the
/// plugin's POCO manifest. Raise it on any incompatible change to the SDK.
// 2: PatientRegistry::profile()
// 3: Lua hooks belong to plugins (Plugin::declareRuleHooks, RuleEngine::call
//    and decide); the per-hook RuleEngine methods are gone; Response
//    can open an event stream (Response::stream); Route carries its
//    contract (query, body, answers) for the OpenAPI document.
// 4: service interfaces move to the plugins that publish them (the SDK keeps
//    PatientAccounts and CareRelationships under kernel.* names), service
//    names are checked, and Plugin::urlPrefixes() declares what a plugin owns.
constexpr int kPluginApiVersion = 4;

/// A clinicd plugin: one shared library under plugins.dir, exporting exactly
/// one Plugin subclass with CLINIC_PLUGIN(Class).
///
/// Lifecycle, driven by the host in dependency order:
///   construct -> migrations() applied -> declareRuleHooks(rules) -> start(host)
///   -> ... -> stop() -> destroy.
/// Anything thrown from these calls is caught by the host, logged with the
/// plugin's name and turned into the plugin's "failed" state.
class Plugin {
public:
    virtual ~Plugin() = default;

    /// Short lower-case name; also the name used in plugins.load.
    virtual std::string name() const = 0;
    virtual std::string version() const = 0;

    /// Names of plugins that must be started before this one.
    virtual std::vector<std::string> dependencies() const { return {}; }

    /// The URL prefixes this plugin owns, each a whole path ("/api/v1/doctors"
    /// owns /api/v1/doctors and /api/v1/doctors/..., not /api/v1/doctorsx).
    /// The host refuses, at start, another plugin's route under one of them,
    /// naming both plugins. Tables are owned the same way, by name prefix:
    /// every table a plugin creates starts with "<name>_".
    virtual std::vector<std::string> urlPrefixes() const { return {"/api/v1/" + name()}; }

    /// Schema steps this plugin owns, in ascending version order. Applied
    /// before start(); each version runs once per database.
    virtual std::vector<Migration> migrations() const { return {}; }

    /// Declares the Lua hooks this plugin owns (RuleEngine::declare) and
    /// nothing else. The host calls it before the rules load and before
    /// start(), and so does --check-config, which never starts a plugin: so a
    /// script's global function that no plugin declares is reported there
    /// too. A throw fails the plugin.
    virtual void declareRuleHooks(RuleEngine& rules) { (void)rules; }

    /// Registers routes, services, readiness checks and reload hooks.
    /// Must not start threads of its own before the host calls it.
    virtual void start(Host& host) = 0;

    /// Called in reverse start order at shutdown, after HTTP has drained.
    virtual void stop() { }

    /// Loads this plugin's part of the demo clinic from demoDir (data/demo).
    /// Must be idempotent: running it twice changes nothing.
    /// Returns a one-line summary, or an empty string if there is nothing to load.
    virtual std::string loadDemoData(Host& host, const std::string& demoDir)
    {
        (void)host;
        (void)demoDir;
        return {};
    }
};

} // namespace clinic

/// Exports a plugin class: the ABI-version symbol the host checks first, then
/// the POCO manifest with the class itself.
#define CLINIC_PLUGIN(Impl)                                                                                  \
    extern "C" __attribute__((visibility("default"))) int clinic_plugin_api_version()                        \
    {                                                                                                        \
        return ::clinic::kPluginApiVersion;                                                                  \
    }                                                                                                        \
    POCO_BEGIN_MANIFEST(::clinic::Plugin)                                                                    \
    POCO_EXPORT_CLASS(Impl)                                                                                  \
    POCO_END_MANIFEST
