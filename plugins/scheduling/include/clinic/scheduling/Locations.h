#pragma once

// The scheduling plugin's locations for other plugins: does a location exist
// and what is it called (an access request names one), so none of them reads
// scheduling's tables. Include this header and nothing else of the
// scheduling plugin (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// Published by the scheduling plugin as kLocationDirectoryService. Absent
/// when the scheduling plugin is not loaded or failed.
class CLINIC_SERVICE_INTERFACE LocationDirectory {
public:
    virtual ~LocationDirectory() = default;

    /// The location's name, if there is such a location. Read on its own session.
    virtual std::optional<std::string> name(std::int64_t locationId) = 0;
};

/// The ServiceRegistry name of LocationDirectory, version 1 of its interface.
inline constexpr const char* kLocationDirectoryService = "scheduling.locations.v1";

} // namespace clinic::scheduling
