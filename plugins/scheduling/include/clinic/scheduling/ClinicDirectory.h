#pragma once

// The scheduling plugin's directory as other plugins read it whole: the
// clinic's locations, services and doctors (a FHIR Location,
// HealthcareService, Practitioner and Schedule view), so none of them reads
// scheduling's tables. Include this header and nothing else of the
// scheduling plugin (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <string>
#include <vector>

#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

struct LocationEntry {
    std::int64_t id = 0;
    std::string name, address, city, county;
    std::string timezone; ///< IANA
    std::string phone; ///< empty when not recorded
};

struct ServiceEntry {
    std::int64_t id = 0;
    std::string name, department;
    std::int64_t durationMin = 0;
    std::int64_t priceMinor = 0;
    std::string currency;
};

struct DoctorEntry {
    std::int64_t id = 0;
    std::string name, specialty;
    std::int64_t locationId = 0;
    std::vector<std::int64_t> serviceIds; ///< ascending
};

/// Published by the scheduling plugin as kClinicDirectoryService. Each call
/// reads on a session of its own, in ascending id order. The directory is
/// not patient data: nothing to audit.
class CLINIC_SERVICE_INTERFACE ClinicDirectory {
public:
    virtual ~ClinicDirectory() = default;

    virtual std::vector<LocationEntry> locations() = 0;
    virtual std::vector<ServiceEntry> services() = 0;
    virtual std::vector<DoctorEntry> doctors() = 0;
};

/// The ServiceRegistry name of ClinicDirectory, version 1 of its interface.
inline constexpr const char* kClinicDirectoryService = "scheduling.directory.v1";

} // namespace clinic::scheduling
