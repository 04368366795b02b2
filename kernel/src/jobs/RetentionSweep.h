#pragma once

#include <cstdint>

#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include "clinic/Database.h"
#include "clinic/Host.h"
#include "clinic/Jobs.h"

namespace clinic {

/// Prunes what the kernel keeps only for a while, as a durable job
/// ("kernel.retention") that runs every retention.interval_minutes and
/// schedules its own next run, once across every daemon on the database:
///  - sessions ended (logged out, revoked) or idle past the refresh token
///    lifetime for retention.sessions_days, with their refresh tokens;
///  - refresh tokens expired for retention.refresh_tokens_days;
///  - jobs done or failed for retention.jobs_days;
///  - login and registration attempts older than a day (past every window).
/// A setting of 0 keeps that kind forever. The audit trail is never pruned:
/// it is append-only in the database itself.
class RetentionSweep {
public:
    RetentionSweep(Database& db, const Clock& clock, const Poco::Util::AbstractConfiguration& config);

    /// Registers the job's handler and schedules its first run (now, unless
    /// another daemon already did for this interval). Nothing when every
    /// keep time is 0 (kept for ever).
    void install(JobQueue& jobs);

    /// One sweep in tx; what it removed, for the log.
    struct Removed {
        std::int64_t sessions = 0, refreshTokens = 0, jobs = 0, attempts = 0;
    };
    Removed sweep(Transaction& tx);

private:
    std::int64_t nowSeconds() const;
    void scheduleNext(Transaction& tx, JobQueue& jobs, std::int64_t afterSeconds);

    Database& _db;
    const Clock& _clock;
    Poco::Logger& _log;
    std::int64_t _intervalSeconds;
    std::int64_t _sessionsSeconds;
    std::int64_t _refreshSeconds;
    std::int64_t _jobsSeconds;
    std::int64_t _refreshTtl;
};

} // namespace clinic
