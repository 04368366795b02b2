#pragma once

// The records plugin's public service: what other plugins may ask about a
// patient. Include this header and nothing else of the records plugin
// (CMake: clinic_plugin_uses(<your plugin> records)).

#include <cstdint>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic::records {

/// Published by the records plugin as kPatientRegistryService. Absent when
/// the records plugin is not loaded or failed: find() then answers nullptr.
class CLINIC_SERVICE_INTERFACE PatientRegistry {
public:
    virtual ~PatientRegistry() = default;

    /// Whether a patient record with this id exists (read in tx).
    virtual bool exists(Transaction& tx, std::int64_t patientId) = 0;

    /// What booking rules and notices need of a patient, or null when there
    /// is no such record: {"id", "first_name", "last_name", "birth_date"
    /// ("YYYY-MM-DD"), "sex" ("F", "M" or "X"), "language", "allergies"
    /// [strings], "email" and "phone" (empty when not recorded)}. Read on its own session; the caller audits the read.
    virtual Poco::JSON::Object::Ptr profile(std::int64_t patientId) = 0;
};

/// The ServiceRegistry name of PatientRegistry, version 1 of its interface.
inline constexpr const char* kPatientRegistryService = "records.patients.v1";

} // namespace clinic::records
