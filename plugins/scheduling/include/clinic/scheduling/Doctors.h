#pragma once

// The scheduling plugin's doctor directory for other plugins: who a doctor
// is and where they work (a prescription's header, a notice's signature),
// so none of them reads scheduling's tables. Include this header and
// nothing else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// A doctor and the location they belong to.
struct DoctorCard {
    std::int64_t id = 0;
    std::string name;
    std::string specialty;
    std::int64_t locationId = 0;
    std::string locationName;
    std::string address;
    std::string city;
    std::string phone;
};

/// Published by the scheduling plugin as kDoctorDirectoryService. Absent
/// when the scheduling plugin is not loaded or failed.
class CLINIC_SERVICE_INTERFACE DoctorDirectory {
public:
    virtual ~DoctorDirectory() = default;

    /// The doctor with this id, if there is one. Read on its own session.
    virtual std::optional<DoctorCard> doctor(std::int64_t doctorId) = 0;
};

/// The ServiceRegistry name of DoctorDirectory, version 1 of its interface.
inline constexpr const char* kDoctorDirectoryService = "scheduling.doctors.v1";

} // namespace clinic::scheduling
