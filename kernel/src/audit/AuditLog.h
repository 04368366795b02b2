#pragma once

#include <optional>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/Types.h>

#include "clinic/Audit.h"
#include "clinic/Database.h"
#include "clinic/Host.h"

namespace clinic {

/// Filters for reading the audit trail back (GET /api/v1/audit).
struct AuditQuery {
    std::optional<Poco::Int64> patientId;
    std::optional<Poco::Int64> actorId;
    std::optional<Poco::Int64> fromMicros; ///< inclusive
    std::optional<Poco::Int64> toMicros; ///< exclusive
    std::optional<Poco::Int64> beforeId; ///< the cursor: rows with a smaller id
    int limit = 50;
};

/// One page of audit rows, newest first.
struct AuditPage {
    Poco::JSON::Array::Ptr items;
    std::optional<Poco::Int64> nextBeforeId;
};

/// The audit trail kept in the audit_log table (kernel migrations 6 and 7;
/// triggers make the table append-only on both backends).
class AuditLog : public AuditTrail {
public:
    AuditLog(Database& db, const Clock& clock);

    void record(Transaction& tx, const Request& request, const AuditEvent& event) override;
    void record(const Request& request, const AuditEvent& event) override;

    /// Records an event whose actor is not the request's caller: a login
    /// attempt names the account it tried (actorId 0 when there is none).
    void recordAs(Transaction& tx, const Request& request, Poco::Int64 actorId,
        const std::string& actorUsername, const std::string& actorRole, const AuditEvent& event);

    AuditPage query(const AuditQuery& query);

private:
    Database& _db;
    const Clock& _clock;
};

} // namespace clinic
