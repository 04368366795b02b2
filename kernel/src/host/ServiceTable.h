#pragma once

#include <map>
#include <mutex>
#include <string>

#include "clinic/Host.h"

namespace clinic {

/// The kernel's table of published services.
class ServiceTable : public ServiceRegistry {
public:
    /// publish() and find() without the template, for the per-plugin
    /// registries that stage what their plugin publishes.
    void insert(const std::string& name, std::shared_ptr<void> service, const std::type_info& type)
    {
        publishAny(name, std::move(service), type);
    }
    std::pair<std::shared_ptr<void>, const std::type_info*> lookup(const std::string& name) const
    {
        return findAny(name);
    }

protected:
    void publishAny(
        const std::string& name, std::shared_ptr<void> service, const std::type_info& type) override;
    std::pair<std::shared_ptr<void>, const std::type_info*> findAny(const std::string& name) const override;

private:
    mutable std::mutex _mutex;
    std::map<std::string, std::pair<std::shared_ptr<void>, const std::type_info*>> _services;
};

} // namespace clinic
