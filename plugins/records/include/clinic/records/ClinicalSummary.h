#pragma once

// The records plugin's clinical summary service: the few clinical facts
// other plugins' checks need (a prescribing rule's weight-based dose), so
// none of them reads records' tables. Include this header and nothing else
// of the records plugin (CMake: clinic_plugin_uses(<your plugin> records)).

#include <cstdint>
#include <optional>

#include "clinic/ServiceInterface.h"

namespace clinic::records {

/// A weight from the patient's vitals.
struct WeightReading {
    double kg = 0;
    std::int64_t takenAt = 0; ///< seconds since the epoch, UTC
};

/// Published by the records plugin as kClinicalSummaryService. Allergies,
/// sex and birth date are in PatientRegistry::profile(). Read on its own
/// session; the caller audits the read.
class CLINIC_SERVICE_INTERFACE ClinicalSummary {
public:
    virtual ~ClinicalSummary() = default;

    /// The weight of the most recent vitals reading that has one (by
    /// taken_at), or nothing.
    virtual std::optional<WeightReading> latestWeight(std::int64_t patientId) = 0;
};

/// The ServiceRegistry name of ClinicalSummary, version 1 of its interface.
inline constexpr const char* kClinicalSummaryService = "records.clinical_summary.v1";

} // namespace clinic::records
