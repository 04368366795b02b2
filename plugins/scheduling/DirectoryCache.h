#pragma once

// The directory facts every booking and availability request reads, kept in
// memory between requests.

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <Poco/Data/Session.h>

#include "Directory.h"
#include "clinic/Database.h"

namespace scheduling {

/// Doctors (with the services they offer), their working hours, services and
/// locations (with their holidays), as booking and availability read them on
/// every request. A change counter in the database
/// (scheduling_directory_version, raised in the transaction of every change
/// to these facts) says when to drop them, so a change made through another
/// daemon on the same database is seen by the next request here: one indexed
/// read per request instead of five to seven. Time off and occupancy change
/// with every booking day and are always read from the database.
class DirectoryCache {
public:
    /// The facts as of one request: it read the counter once, at its start.
    class View {
    public:
        std::optional<Doctor> doctor(Poco::Int64 id);
        std::optional<Service> service(Poco::Int64 id);
        std::vector<Period> hours(Poco::Int64 doctorId);
        std::optional<Location> location(Poco::Int64 id);

    private:
        friend class DirectoryCache;
        View(DirectoryCache& cache, Poco::Data::Session& s, Poco::Int64 version)
            : _cache(cache)
            , _session(s)
            , _version(version)
        {
        }
        /// Keeps what this request read, unless the counter moved on since
        /// it started (then what it read may be older than the cache).
        template<typename Map, typename Value> void keep(Map& map, Poco::Int64 id, const Value& value);

        DirectoryCache& _cache;
        Poco::Data::Session& _session;
        Poco::Int64 _version;
    };

    /// Reads the change counter and drops every fact if it moved.
    View view(Poco::Data::Session& s);

    /// Raises the counter inside tx: every transaction that changes a
    /// doctor, their services or hours, a service, a location or its
    /// holidays calls it.
    static void changed(clinic::Transaction& tx);

private:
    std::mutex _mutex;
    Poco::Int64 _version = -1;
    std::map<Poco::Int64, Doctor> _doctors;
    std::map<Poco::Int64, Service> _services;
    std::map<Poco::Int64, std::vector<Period>> _hours;
    std::map<Poco::Int64, Location> _locations;
};

} // namespace scheduling
