#pragma once

#include <cstdint>

#include "clinic/Http.h"
#include "clinic/ServiceInterface.h"

namespace clinic {

/// Which patients a doctor treats. Published by the plugin that knows (for
/// example scheduling, from appointments) under kCareRelationshipService and
/// consulted only when access.doctors_own_patients_only is true.
class CLINIC_SERVICE_INTERFACE CareRelationships {
public:
    virtual ~CareRelationships() = default;
    virtual bool isPatientOf(std::int64_t doctorId, std::int64_t patientId) const = 0;
};

/// The ServiceRegistry name under which CareRelationships is published.
inline constexpr const char* kCareRelationshipService = "kernel.care_relationships.v1";

/// The kinds of patient data, from least to most sensitive.
enum class PatientData {
    Demographics, ///< name, birth date, contact, appointments
    Clinical, ///< encounters, vitals, lab results, documents, prescriptions
};

/// "May this caller see patient P's data of this kind?", answered the same
/// way for every plugin:
///   - a patient: only their own record (another patient's answers 404, so
///     its existence is not revealed);
///   - staff: by role, per access.demographics_roles and access.clinical_roles;
///   - a doctor: also restricted to their own patients when
///     access.doctors_own_patients_only is true; then a doctor account without
///     a doctor id, or a daemon where no plugin has published
///     CareRelationships, sees no patient (the setting fails closed).
/// Unauthenticated callers see nothing. patientId <= 0 names no patient.
class AccessPolicy {
public:
    virtual ~AccessPolicy() = default;

    virtual bool maySee(const Caller& caller, std::int64_t patientId, PatientData kind) const = 0;

    /// Throws HttpError 404 NOT_FOUND for a patient asking for another
    /// patient, 403 FORBIDDEN for a role that may not see this kind of data.
    virtual void require(const Request& request, std::int64_t patientId, PatientData kind) const = 0;
};

} // namespace clinic
