#pragma once

#include <cstdint>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic {

/// What the kernel itself needs of patient records, for self-registration
/// (POST /api/v1/auth/register) and for linking an account to a record. The
/// kernel owns the account; the plugin that publishes this (records) owns
/// the record and its validation. Everything else about patients other
/// plugins may use is that plugin's own service (records.patients.v1 in
/// plugins/records/include/clinic/records/PatientRegistry.h), so it can grow
/// without changing the kernel's ABI.
class CLINIC_SERVICE_INTERFACE PatientAccounts {
public:
    virtual ~PatientAccounts() = default;

    /// Creates a patient record from the registration's fields (everything in
    /// the request body except username and password: first_name, last_name,
    /// birth_date, ...) inside tx, so the record and the account commit
    /// together. Returns the new patient id. Throws HttpError 422
    /// VALIDATION_FAILED naming each bad field.
    virtual std::int64_t createForRegistration(Transaction& tx, const Poco::JSON::Object::Ptr& fields) = 0;

    /// Whether a patient record with this id exists (read in tx), so an
    /// account is never linked to a record that is not there (yet).
    virtual bool exists(Transaction& tx, std::int64_t patientId) = 0;
};

/// The ServiceRegistry name under which PatientAccounts is published.
inline constexpr const char* kPatientAccountsService = "kernel.patient_accounts.v1";

} // namespace clinic
