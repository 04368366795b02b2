#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>

#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/Database.h"
#include "clinic/Events.h"
#include "clinic/Http.h"
#include "clinic/Jobs.h"
#include "clinic/Rules.h"
#include "clinic/ServiceInterface.h"

namespace prometheus {
class Registry;
}

namespace clinic {

/// The daemon's clock. Real time unless clock.start is configured (tests,
/// demos); then time starts at that instant and runs forward from it.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

/// The outcome of one readiness check.
struct ReadinessResult {
    bool ok = true;
    std::string detail; ///< why not, when !ok
};

/// Services plugins publish for each other by name. Plugins never include
/// each other's headers beyond the documented service interface, which lives
/// with the plugin that publishes it (see plugins/README.md).
///
/// Names are <plugin>.<service>.v<N> ("scheduling.appointments.v1"): a
/// plugin publishes only under its own name, and a new, incompatible
/// interface gets a new version instead of changing the old one. The
/// interfaces the kernel itself consumes (PatientAccounts, CareRelationships)
/// are declared in the SDK under kernel.* names, which any plugin may provide.
class ServiceRegistry {
public:
    virtual ~ServiceRegistry() = default;

    /// Throws std::invalid_argument if the name is taken, or (for a plugin)
    /// is not <plugin>.<service>.v<N> under the plugin's own name.
    template<class T> void publish(const std::string& name, std::shared_ptr<T> service)
    {
        publishAny(name, std::static_pointer_cast<void>(std::move(service)), typeid(T));
    }

    /// The service, or nullptr if nobody published it (its plugin is not
    /// loaded, or failed) or it has another type: consumers must cope.
    template<class T> std::shared_ptr<T> find(const std::string& name) const
    {
        auto entry = findAny(name);
        if (!entry.first || *entry.second != typeid(T))
            return nullptr;
        return std::static_pointer_cast<T>(entry.first);
    }

protected:
    virtual void publishAny(
        const std::string& name, std::shared_ptr<void> service, const std::type_info& type)
        = 0;
    virtual std::pair<std::shared_ptr<void>, const std::type_info*> findAny(
        const std::string& name) const = 0;
};

/// What the kernel offers a plugin. Each plugin gets its own Host, so routes,
/// logs and checks are attributed to it.
class Host {
public:
    virtual ~Host() = default;

    virtual Router& router() = 0;
    virtual Database& database() = 0;
    /// The layered configuration (defaults < file < CLINICD_* < command line).
    virtual const Poco::Util::AbstractConfiguration& config() const = 0;
    /// The daemon's one metrics registry; the metrics plugin serves it.
    virtual prometheus::Registry& metrics() = 0;
    /// This plugin's logger, named clinicd.<plugin>.
    virtual Poco::Logger& logger() = 0;
    virtual const Clock& clock() const = 0;
    virtual ServiceRegistry& services() = 0;
    /// The daemon's data directory (documents, keys): exists and is writable.
    virtual std::string dataDir() const = 0;

    /// The append-only audit trail: record every read or write of patient data.
    virtual AuditTrail& audit() = 0;
    /// Who may see which patient's data (config access.*).
    virtual const AccessPolicy& access() const = 0;
    /// The clinic's Lua rules (rules.dir): the hooks this plugin declared in
    /// Plugin::declareRuleHooks() (declarations are made in its name),
    /// callable from any thread.
    virtual RuleEngine& rules() = 0;
    /// In-process events, delivered after the publisher's transaction commits.
    virtual EventBus& events() = 0;
    /// Durable jobs: scheduled in the caller's transaction, run once by some daemon.
    virtual JobQueue& jobs() = 0;

    /// A check /health/ready runs; a failing one makes it 503 naming check.
    virtual void addReadinessCheck(const std::string& name, std::function<ReadinessResult()> check) = 0;
    /// Called on SIGHUP and on the admin reload request, on a kernel thread.
    virtual void onReload(std::function<void()> hook) = 0;
};

} // namespace clinic
