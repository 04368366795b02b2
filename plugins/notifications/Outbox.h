#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clinic/Database.h"
#include "clinic/Migration.h"

namespace notifications {

/// One message in the outbox. Written before anything is sent; its id (with
/// created_at) names the e-mail's Message-ID, so every send of it is the same
/// message. Instants are milliseconds: due_at, created_at, updated_at and
/// sent_at on the daemon's clock, lease_until on real time (as the jobs').
struct OutboxRow {
    std::int64_t id = 0;
    std::string dedupKey; ///< unique: the same job never writes a message twice
    std::string kind; ///< the template, e.g. appointment.reminder
    std::string channel; ///< email, sms or in_app
    std::string recipient; ///< an address, a phone number or "patient:<id>"
    std::string language;
    std::string subject;
    std::string text;
    std::string html;
    /// queued -> sending -> sent | failed | skipped (with last_error saying why)
    std::string status = "queued";
    int attempts = 0;
    std::string lastError;
    std::string providerId;
    int segments = 0; ///< SMS parts the text takes
    std::int64_t patientId = 0;
    /// For a message about an appointment: which, and the start it was
    /// written for, so one about a moved appointment is not sent.
    std::int64_t appointmentId = 0;
    std::int64_t appointmentStart = 0;
    std::int64_t dueAt = 0;
    std::int64_t createdAt = 0;
    std::int64_t updatedAt = 0;
    std::int64_t sentAt = 0;
};

/// The notifications_outbox table. Every SQL statement on it lives here.
class Outbox {
public:
    static std::vector<clinic::Migration> migrations();

    /// Writes row in tx unless its dedupKey exists; the new id, or 0.
    static std::int64_t add(clinic::Transaction& tx, const OutboxRow& row);

    /// Marks up to max due messages (queued and due, or sending under an
    /// expired lease) as sending for owner and returns them. A message whose
    /// sender died on its last allowed attempt ends failed instead.
    static std::vector<OutboxRow> claim(clinic::Database& db, const std::string& owner, int max,
        std::int64_t nowMs, std::int64_t realNowMs, std::int64_t leaseMs, int maxAttempts);

    /// How one claimed send ended: status queued (a retry at dueAt), sent,
    /// failed or skipped.
    struct Finished {
        const OutboxRow* claimed = nullptr;
        std::string status;
        std::string error;
        std::string providerId;
        std::int64_t dueAt = 0;
        bool recorded = false; ///< set by finishAll: false if the lease was lost
    };
    /// Records how claimed sends ended, in one transaction: one commit (one
    /// fsync) for a sender's batch rather than one per message. A send whose
    /// owner no longer holds the lease is left alone (recorded stays false).
    static void finishAll(
        clinic::Database& db, std::vector<Finished>& finished, const std::string& owner, std::int64_t nowMs);

    static std::optional<OutboxRow> find(clinic::Database& db, std::int64_t id);
    /// Ids above after, ascending, of one status (empty: all); limit rows.
    static std::vector<OutboxRow> list(
        clinic::Database& db, const std::string& status, std::int64_t after, std::size_t limit);
    /// Puts a failed or skipped message back in the queue, due now; false if
    /// it is in another state (queued, sending, sent).
    static bool retry(clinic::Database& db, std::int64_t id, std::int64_t nowMs);
    /// Messages per status, and the due_at of the oldest queued one (0: none).
    static std::map<std::string, std::int64_t> depth(clinic::Database& db, std::int64_t& oldestQueuedDue);
    /// The latest SMS sent to this number about an appointment, for replies.
    static std::optional<OutboxRow> lastSmsTo(clinic::Database& db, const std::string& phone);
    /// Sets a delivery report's status on the SMS with this provider id.
    static bool recordDelivery(
        clinic::Database& db, const std::string& providerId, const std::string& status, std::int64_t nowMs);
};

} // namespace notifications
