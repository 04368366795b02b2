#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "clinic/Host.h"
#include "host/ServiceTable.h"

namespace clinic {

/// Why plugin may not publish a service named name, or "" if it may. A
/// plugin publishes <plugin>.<service>.v<N> under its own name, or one of
/// the kernel.* names of the interfaces the kernel consumes
/// (kPatientAccountsService, kCareRelationshipService).
std::string serviceNameProblem(const std::string& plugin, const std::string& name);

/// The ServiceRegistry a plugin sees. Its names are checked as it publishes
/// (a bad one throws, failing the plugin's start), and what it publishes
/// reaches the kernel's table only if the plugin starts, so a consumer never
/// finds a service of a plugin that failed.
class PluginServices : public ServiceRegistry {
public:
    PluginServices(ServiceTable& table, std::string plugin);

    /// Throws if a staged name was taken meanwhile, before anything is published.
    void check() const;
    /// Moves the staged services to the kernel's table.
    void commit();

protected:
    void publishAny(
        const std::string& name, std::shared_ptr<void> service, const std::type_info& type) override;
    std::pair<std::shared_ptr<void>, const std::type_info*> findAny(const std::string& name) const override;

private:
    ServiceTable& _table;
    std::string _plugin;
    std::vector<std::tuple<std::string, std::shared_ptr<void>, const std::type_info*>> _staged;
};

} // namespace clinic
