#pragma once

// Prescriptions, their items and renewal requests as stored, read back as the
// API shows them. Status "completed" is computed on read: an active
// prescription whose longest item has run its course (ends_at <= now) is
// completed, with no job rewriting rows, so it is right on every daemon the
// moment the time passes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "clinic/Database.h"

namespace prescriptions {

/// The stored status and end, and what they make at `now`.
std::string statusAt(const std::string& stored, std::int64_t endsAt, std::int64_t asOf);

/// A list's filters.
struct PrescriptionFilter {
    std::optional<std::int64_t> patientId;
    std::optional<std::int64_t> doctorId;
    std::optional<std::string> status; ///< active, completed or cancelled
    std::int64_t after = 0;
    std::size_t limit = 50;
};

/// One row of a list: the id, its patient, its JSON.
struct ListedPrescription {
    std::int64_t id = 0;
    std::int64_t patientId = 0;
    Poco::JSON::Object::Ptr json;
};

/// An item of an active prescription, for before_prescribe's ctx.
struct ActiveItem {
    std::int64_t prescriptionId = 0;
    std::string drug;
    std::string substance;
    std::string atc;
    std::int64_t issuedAt = 0;
    std::int64_t endsAt = 0;
};

/// A renewal request as stored.
struct RenewalRequest {
    std::int64_t id = 0;
    std::int64_t prescriptionId = 0;
    std::int64_t patientId = 0;
    std::string status; ///< pending, approved, declined
};

class PrescriptionStore {
public:
    explicit PrescriptionStore(clinic::Database& db)
        : _db(db)
    {
    }

    /// The prescription as GET /api/v1/prescriptions/{id} shows it, or null.
    Poco::JSON::Object::Ptr one(std::int64_t id, std::int64_t asOf);
    /// limit + 1 rows at most, in id order, so the caller can tell a next page.
    std::vector<ListedPrescription> list(const PrescriptionFilter& filter, std::int64_t asOf);
    /// Every prescription of a patient, oldest first.
    Poco::JSON::Array::Ptr ofPatient(std::int64_t patientId, std::int64_t asOf);
    std::vector<ActiveItem> activeItems(std::int64_t patientId, std::int64_t asOf);
    std::optional<RenewalRequest> renewal(std::int64_t id);

private:
    clinic::Database& _db;
};

} // namespace prescriptions
