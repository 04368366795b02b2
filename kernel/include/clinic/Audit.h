#pragma once

#include <cstdint>
#include <string>

#include "clinic/Database.h"
#include "clinic/Http.h"

namespace clinic {

/// One touch of patient data (or of a security-relevant object) to record.
struct AuditEvent {
    std::string action; ///< e.g. "patient.read", "encounter.create", "login.failed"
    std::string objectType; ///< e.g. "patient", "encounter", "user"
    std::string objectId; ///< the object's id as text; empty for lists and searches
    std::int64_t patientId = 0; ///< whose data it is; 0 when no patient is involved
    std::string outcome = "ok"; ///< "ok", "denied", "failed", ...
    /// Why, where the caller gave a reason; never a secret. Left empty, the
    /// audit trail records accessReason(request).
    std::string reason;
};

/// The reason the caller gave for touching patient data: the X-Access-Reason
/// header, else the ?reason= query parameter, else "". The audit trail cuts
/// it to 255 characters, control characters becoming spaces.
std::string accessReason(const Request& request);

/// The append-only audit trail. Every read or write of patient data records
/// one event naming the caller (from the request), the request id and the
/// client address. Writes record inside the transaction that makes the
/// change, so the change and its audit row commit together or not at all.
class AuditTrail {
public:
    virtual ~AuditTrail() = default;

    /// Records in the caller's transaction (for writes).
    virtual void record(Transaction& tx, const Request& request, const AuditEvent& event) = 0;

    /// Records in a transaction of its own (for reads). Throws if it cannot
    /// be written: data that cannot be audited must not be served.
    virtual void record(const Request& request, const AuditEvent& event) = 0;
};

} // namespace clinic
