#pragma once

// The scheduling plugin's locations for other plugins: a location's name and
// its IANA time zone (a notice's local time, SMS quiet hours "at the
// location"), so none of them reads scheduling's tables. Include this header
// and nothing else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// A location as other plugins see it.
struct LocationCard {
    std::int64_t id = 0;
    std::string name;
    /// The IANA zone its working hours are in, e.g. "Europe/Bucharest".
    std::string timezone;
};

/// Published by the scheduling plugin as kLocationDirectoryService. Absent
/// when the scheduling plugin is not loaded or failed. Each call reads on a
/// session of its own or, given one, in the caller's transaction.
class CLINIC_SERVICE_INTERFACE LocationDirectory {
public:
    virtual ~LocationDirectory() = default;

    /// The location with this id, if there is one.
    virtual std::optional<LocationCard> location(std::int64_t locationId) = 0;
    virtual std::optional<LocationCard> location(Transaction& tx, std::int64_t locationId) = 0;
};

/// The ServiceRegistry name of LocationDirectory, version 1 of its interface.
inline constexpr const char* kLocationDirectoryService = "scheduling.locations.v1";

} // namespace clinic::scheduling
