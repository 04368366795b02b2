#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"

namespace clinic {

/// One claimed run of a durable job.
struct Job {
    std::int64_t id = 0;
    std::string kind;
    Poco::JSON::Object::Ptr payload;
    /// 1 on the first run, 2 on the first retry, ...
    int attempt = 1;
};

/// How a kind is retried.
struct JobOptions {
    /// Runs before the job is marked failed (its last error is kept).
    int maxAttempts = 5;
    /// Retry n waits backoffBaseSeconds * 2^(n-1), at most backoffMaxSeconds.
    double backoffBaseSeconds = 10;
    double backoffMaxSeconds = 3600;
};

/// Does one job. tx is the transaction that also marks the job done: the
/// handler's database work commits with the completion or not at all, so it
/// happens exactly once. Anything outside the database (a message sent, a
/// file written) happens at least once: a daemon may die after the effect
/// and before the commit, and the job then runs again. Handlers must
/// therefore be idempotent (e.g. key the outgoing message by the job id).
/// Throwing fails this attempt: the transaction rolls back and the job is
/// retried with backoff, or marked failed after maxAttempts.
using JobHandler = std::function<void(const Job&, Transaction&)>;

/// Durable work that must happen later, once, even across restarts and
/// several daemons on one database (decision 6). Jobs are rows in the jobs
/// table; workers in clinicd (never in clinicctl) claim due ones with a
/// lease. A job whose daemon dies mid-run is claimed again once its lease
/// (jobs.lease_seconds) expires.
class JobQueue {
public:
    virtual ~JobQueue() = default;

    /// Schedules a job in the caller's transaction: it exists only if tx
    /// commits, and never runs for a rolled-back one. runAt is on the daemon's
    /// Clock (Host::clock()). The idempotency key (at most 191 bytes, unique
    /// across all kinds, e.g. "reminder:appointment:42:24h") makes scheduling
    /// repeatable: if a job with that key exists, nothing is scheduled and
    /// false is returned, without failing the caller's transaction. kind is
    /// at most 64 bytes; the payload as JSON at most 65,535 bytes (carry ids,
    /// not documents). Throws std::invalid_argument on a bad kind, key or payload.
    virtual bool schedule(Transaction& tx, const std::string& kind, Poco::JSON::Object::Ptr payload,
        std::chrono::system_clock::time_point runAt, const std::string& idempotencyKey)
        = 0;

    /// Runs jobs of kind in this daemon. A kind nobody registered stays
    /// queued for a daemon that has a handler. One handler per kind; from
    /// Plugin::start() it takes effect only if the start succeeds.
    virtual void registerHandler(const std::string& kind, JobHandler handler, JobOptions options = {}) = 0;
};

} // namespace clinic
