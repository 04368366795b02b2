#include "host/ServiceTable.h"

#include <stdexcept>

namespace clinic {

void ServiceTable::publishAny(
    const std::string& name, std::shared_ptr<void> service, const std::type_info& type)
{
    std::lock_guard<std::mutex> lock(_mutex);
    if (_services.count(name))
        throw std::invalid_argument("service " + name + " is already published");
    _services[name] = {std::move(service), &type};
}

std::pair<std::shared_ptr<void>, const std::type_info*> ServiceTable::findAny(const std::string& name) const
{
    std::lock_guard<std::mutex> lock(_mutex);
    auto it = _services.find(name);
    if (it == _services.end())
        return {nullptr, nullptr};
    return it->second;
}

} // namespace clinic
