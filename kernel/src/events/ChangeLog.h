#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "clinic/Events.h"
#include "clinic/Host.h"
#include "clinic/Migration.h"

namespace clinic {

class DatabaseImpl;

/// One committed change as a stream may show it.
struct ChangeRow {
    std::int64_t id = 0;
    std::string type;
    std::string audience; ///< "schedule", "clinical" or "patient"
    std::int64_t patientId = 0; ///< 0: concerns no patient
    std::string data; ///< JSON object of the kept payload keys
    std::int64_t createdAtMs = 0;
};

/// The durable change log: the table every daemon's live stream reads.
///
/// Ordering across daemons. On MariaDB an AUTO_INCREMENT id is taken at
/// insert, not at commit, so two transactions commit out of id order and a
/// reader that has passed id N may later see N-1 appear. Rather than make
/// readers wait out a grace period for holes (which a long transaction can
/// outlast, losing the event), each row's id comes from a one-row sequence
/// (change_log_sequence) that the publishing transaction increments: the
/// row lock it takes is held until that transaction commits or rolls back,
/// so the next publisher gets the next id only after this one is settled.
/// Ids are therefore handed out in commit order and without holes (a
/// rollback returns its increment), and "every row above my cursor" never
/// skips a row that commits later. The cost is that publishing transactions
/// serialise between their publish() and their commit; on SQLite writers
/// are serial anyway, and the group-committed form (one savepoint per
/// request) keeps the same guarantee because a savepoint rollback undoes
/// its increment too.
class ChangeLog {
public:
    ChangeLog(DatabaseImpl& db, const Clock& clock);

    /// The kernel's change-log schema (owner "kernel.events").
    static std::vector<Migration> migrations();

    /// What the log keeps of type and who sees it (the last declaration wins).
    void declare(const std::string& type, EventVisibility visibility);
    /// The declared visibility, or the restrictive default for an unknown type.
    EventVisibility visibility(const std::string& type) const;

    /// Writes event's row through tx: it exists exactly when tx commits.
    void append(Transaction& tx, const Event& event);

    /// Runs arm(tx) with the appends of this process until one of them has
    /// committed: the retention job's chain starts with the first change a
    /// daemon records, so a database nothing publishes to gets no job.
    void armRetention(std::function<void(Transaction&)> arm);

    /// Rows with id in (after, upTo], in id order, at most limit.
    std::vector<ChangeRow> read(std::int64_t after, std::int64_t upTo, int limit);
    /// The newest id handed out and committed (0 for an empty log).
    std::int64_t lastId();
    /// The oldest id still kept, if any row is.
    std::optional<std::int64_t> oldestId();
    /// Deletes rows older than cutoffMs through tx; the number deleted.
    std::size_t pruneBefore(Transaction& tx, std::int64_t cutoffMs);

    static std::string audienceName(EventAudience audience);

private:
    DatabaseImpl& _db;
    const Clock& _clock;
    mutable std::mutex _mutex;
    std::map<std::string, EventVisibility> _types;
    std::set<std::string> _undeclaredSeen;
    std::function<void(Transaction&)> _arm;
    std::atomic<bool> _armed {false};
};

} // namespace clinic
