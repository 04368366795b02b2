#include "DirectoryCache.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

DirectoryCache::View DirectoryCache::view(Poco::Data::Session& s)
{
    std::vector<Poco::Int64> versions;
    s << "SELECT version FROM scheduling_directory_version WHERE id = 1", into(versions), now;
    // No counter row: nothing may be kept (-2 never equals the cache's).
    const Poco::Int64 version = versions.empty() ? -2 : versions.front();
    std::lock_guard<std::mutex> lock(_mutex);
    if (version != _version) {
        _doctors.clear();
        _services.clear();
        _hours.clear();
        _locations.clear();
        _version = version;
    }
    return View(*this, s, version);
}

void DirectoryCache::changed(clinic::Transaction& tx)
{
    tx.session() << "UPDATE scheduling_directory_version SET version = version + 1 WHERE id = 1", now;
}

template<typename Map, typename Value>
void DirectoryCache::View::keep(Map& map, Poco::Int64 id, const Value& value)
{
    std::lock_guard<std::mutex> lock(_cache._mutex);
    if (_cache._version == _version && _version >= 0)
        map[id] = value;
}

std::optional<Doctor> DirectoryCache::View::doctor(Poco::Int64 id)
{
    {
        std::lock_guard<std::mutex> lock(_cache._mutex);
        auto it = _cache._doctors.find(id);
        if (it != _cache._doctors.end())
            return it->second;
    }
    auto d = findDoctor(_session, id);
    if (d) // an unknown id is not kept: a doctor created later must be found
        keep(_cache._doctors, id, *d);
    return d;
}

std::optional<Service> DirectoryCache::View::service(Poco::Int64 id)
{
    {
        std::lock_guard<std::mutex> lock(_cache._mutex);
        auto it = _cache._services.find(id);
        if (it != _cache._services.end())
            return it->second;
    }
    auto s = findService(_session, id);
    if (s)
        keep(_cache._services, id, *s);
    return s;
}

std::vector<Period> DirectoryCache::View::hours(Poco::Int64 doctorId)
{
    {
        std::lock_guard<std::mutex> lock(_cache._mutex);
        auto it = _cache._hours.find(doctorId);
        if (it != _cache._hours.end())
            return it->second;
    }
    auto h = hoursOf(_session, doctorId);
    keep(_cache._hours, doctorId, h);
    return h;
}

std::optional<Location> DirectoryCache::View::location(Poco::Int64 id)
{
    {
        std::lock_guard<std::mutex> lock(_cache._mutex);
        auto it = _cache._locations.find(id);
        if (it != _cache._locations.end())
            return it->second;
    }
    auto l = findLocation(_session, id);
    if (l)
        keep(_cache._locations, id, *l);
    return l;
}

} // namespace scheduling
