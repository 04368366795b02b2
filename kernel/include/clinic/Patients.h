#pragma once

#include <cstdint>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"

namespace clinic {

/// The service the records plugin publishes (ServiceRegistry name
/// kPatientRegistryService) so the kernel can create a patient record when a
/// patient registers themself (POST /api/v1/auth/register). The kernel owns
/// the account; the plugin owns the record and its validation.
class PatientRegistry {
public:
    virtual ~PatientRegistry() = default;

    /// Creates a patient record from the registration's fields (everything in
    /// the request body except username and password: first_name, last_name,
    /// birth_date, ...) inside tx, so the record and the account commit
    /// together. Returns the new patient id. Throws HttpError 422
    /// VALIDATION_FAILED naming each bad field.
    virtual std::int64_t createForRegistration(Transaction& tx, const Poco::JSON::Object::Ptr& fields) = 0;

    /// Whether a patient record with this id exists (read in tx), so an
    /// account is never linked to a record that is not there (yet).
    virtual bool exists(Transaction& tx, std::int64_t patientId) = 0;
    /// What booking rules and notices need of a patient, or null when there
    /// is no such record: {"id", "first_name", "last_name", "birth_date"
    /// ("YYYY-MM-DD"), "sex" ("F", "M" or "X"), "language", "allergies"
    /// [strings]}. Read on its own session; the caller audits the read.
    virtual Poco::JSON::Object::Ptr profile(std::int64_t patientId) = 0;
};

/// The ServiceRegistry name under which PatientRegistry is published.
inline constexpr const char* kPatientRegistryService = "records.patients";

} // namespace clinic
