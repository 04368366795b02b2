#pragma once

// The patient registry: demographics and contact, their validation,
// duplicate detection and search. Published to the kernel as
// clinic::PatientAccounts so self-registration creates records the same way,
// and to other plugins as clinic::records::PatientRegistry.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Patients.h"
#include "clinic/records/PatientRegistry.h"

namespace records {

/// One patient's demographics and contact as stored.
struct Patient {
    std::int64_t id = 0;
    std::string firstName;
    std::string lastName;
    std::string birthDate;
    std::string sex;
    std::string phone;
    std::string email;
    std::string nationalId;
    std::string language = "ro";
    std::vector<std::string> allergies;
    std::int64_t createdAt = 0;
    std::int64_t updatedAt = 0;

    /// The record as the API shows it; allergies only to a caller who may
    /// see clinical data (they are clinical: prescribing rules rely on them).
    Poco::JSON::Object::Ptr toJson(bool clinical = true) const;

    /// The API names of the fields that differ from other's ("phone, allergies").
    std::string changedFields(const Patient& other) const;
};

/// A page of a list: the items and the cursor of the next page, if any.
struct PatientPage {
    std::vector<Patient> items;
    std::optional<std::string> nextCursor;
};

class PatientDirectory : public clinic::PatientAccounts, public clinic::records::PatientRegistry {
public:
    explicit PatientDirectory(clinic::Host& host);

    /// Reads a whole patient (create) or the fields present (update, over
    /// `patient`) from body; every bad field is collected into in.
    void read(
        clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Patient& patient, bool partial) const;

    /// The id of another record that looks like the same person (same
    /// national id, or same name and birth date), or 0.
    std::int64_t findDuplicate(clinic::Transaction& tx, const Patient& patient) const;

    /// Inserts, publishes "patient.created" {"patient_id"} after commit and
    /// returns the new id.
    std::int64_t insert(clinic::Transaction& tx, Patient& patient) const;
    void update(clinic::Transaction& tx, const Patient& patient) const;

    std::optional<Patient> find(std::int64_t id) const;
    std::optional<Patient> find(clinic::Transaction& tx, std::int64_t id) const;
    bool exists(std::int64_t id) const;

    /// Search by name prefix, phone prefix, birth date or national id (q), or
    /// everyone (no q), in id order after `after`.
    PatientPage search(const std::string& q, std::int64_t after, std::size_t limit) const;

    /// clinic::PatientAccounts: the same checks as POST /api/v1/patients,
    /// without "force" and without national_id (a stranger must not claim
    /// someone else's). A likely duplicate is created apart and logged for
    /// reception, never answered: a 409 would tell anyone that this person
    /// is the clinic's patient.
    std::int64_t createForRegistration(
        clinic::Transaction& tx, const Poco::JSON::Object::Ptr& fields) override;
    /// Both services'.
    bool exists(clinic::Transaction& tx, std::int64_t patientId) override;
    /// clinic::records::PatientRegistry.
    Poco::JSON::Object::Ptr profile(std::int64_t patientId) override;

    std::string today() const;
    std::int64_t nowSeconds() const;

private:
    clinic::Host& _host;
};

} // namespace records
