#include "host/PluginServices.h"

#include <algorithm>
#include <stdexcept>

#include "clinic/Access.h"
#include "clinic/Doctors.h"
#include "clinic/Patients.h"
#include "clinic/StreamNarrowing.h"

namespace clinic {

namespace {

bool isWordChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/// <word>(.<word>)+ with words of [a-z0-9_].
bool wellFormed(const std::string& name)
{
    if (name.empty() || name.front() == '.' || name.back() == '.')
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '.' ? name[i + 1] == '.' : !isWordChar(name[i]))
            return false;
    }
    return name.find('.') != std::string::npos;
}

/// Whether the last dot-separated part is v<N>, N >= 1.
bool hasVersion(const std::string& name)
{
    const auto dot = name.rfind('.');
    const std::string last = name.substr(dot + 1);
    if (last.size() < 2 || last[0] != 'v' || last[1] == '0')
        return false;
    for (std::size_t i = 1; i < last.size(); ++i)
        if (last[i] < '0' || last[i] > '9')
            return false;
    return true;
}

} // namespace

std::string serviceNameProblem(const std::string& plugin, const std::string& name)
{
    const std::string example = plugin + ".<service>.v1";
    if (!wellFormed(name))
        return "\"" + name + "\" is not a service name (lower-case words joined by dots, as in " + example
            + ")";
    if (name == kPatientAccountsService || name == kCareRelationshipService || name == kDoctorAccountsService
        || name == kStreamNarrowingService)
        return {};
    const std::string owner = name.substr(0, name.find('.'));
    if (owner != plugin)
        return "the " + owner + ".* service names belong to "
            + (owner == "kernel" ? "the kernel" : "plugin " + owner) + "; plugin " + plugin
            + " publishes under " + example;
    if (std::count(name.begin(), name.end(), '.') < 2 || !hasVersion(name))
        return "a service name ends in its interface version, as in " + example;
    return {};
}

PluginServices::PluginServices(ServiceTable& table, std::string plugin)
    : _table(table)
    , _plugin(std::move(plugin))
{
}

void PluginServices::publishAny(
    const std::string& name, std::shared_ptr<void> service, const std::type_info& type)
{
    if (auto problem = serviceNameProblem(_plugin, name); !problem.empty())
        throw std::invalid_argument(
            "plugin " + _plugin + " may not publish service " + name + ": " + problem);
    if (findAny(name).first)
        throw std::invalid_argument("service " + name + " is already published");
    _staged.emplace_back(name, std::move(service), &type);
}

std::pair<std::shared_ptr<void>, const std::type_info*> PluginServices::findAny(const std::string& name) const
{
    for (const auto& [staged, service, type] : _staged)
        if (staged == name)
            return {service, type};
    return _table.lookup(name);
}

void PluginServices::check() const
{
    for (const auto& staged : _staged)
        if (_table.lookup(std::get<0>(staged)).first)
            throw std::invalid_argument("service " + std::get<0>(staged) + " is already published");
}

void PluginServices::commit()
{
    for (auto& [name, service, type] : _staged)
        _table.insert(name, std::move(service), *type);
    _staged.clear();
}

} // namespace clinic
