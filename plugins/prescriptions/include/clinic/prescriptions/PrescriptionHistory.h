#pragma once

// The prescriptions plugin's public service: a patient's prescriptions as
// other plugins may read them (a FHIR MedicationRequest view, a summary), so
// none of them reads prescriptions' tables. Include this header and nothing
// else of the prescriptions plugin
// (CMake: clinic_plugin_uses(<your plugin> prescriptions)).

#include <cstdint>

#include <Poco/JSON/Array.h>

#include "clinic/ServiceInterface.h"

namespace clinic::prescriptions {

/// Published by the prescriptions plugin as kPrescriptionHistoryService.
class CLINIC_SERVICE_INTERFACE PrescriptionHistory {
public:
    virtual ~PrescriptionHistory() = default;

    /// Every prescription of the patient, oldest first, each as
    /// GET /api/v1/prescriptions/{id} answers it (items, status as of now,
    /// renewal requests). Read on its own session; the caller audits the read.
    virtual Poco::JSON::Array::Ptr ofPatient(std::int64_t patientId) = 0;
};

/// The ServiceRegistry name of PrescriptionHistory, version 1 of its interface.
inline constexpr const char* kPrescriptionHistoryService = "prescriptions.history.v1";

} // namespace clinic::prescriptions
