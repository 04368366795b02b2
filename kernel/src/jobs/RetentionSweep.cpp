#include "jobs/RetentionSweep.h"

#include <chrono>
#include <string>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>

#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

constexpr const char* kKind = "kernel.retention";
constexpr std::int64_t kDay = 86400;

std::int64_t rowsChanged(Transaction& tx)
{
    Poco::Int64 n = 0;
    if (tx.dialect() == Dialect::SQLite)
        tx.session() << "SELECT changes()", into(n), now;
    else
        tx.session() << "SELECT ROW_COUNT()", into(n), now;
    return n;
}

} // namespace

RetentionSweep::RetentionSweep(
    Database& db, const Clock& clock, const Poco::Util::AbstractConfiguration& config)
    : _db(db)
    , _clock(clock)
    , _log(Poco::Logger::get("clinicd.retention"))
    , _intervalSeconds(config.getInt64("retention.interval_minutes", 60) * 60)
    , _sessionsSeconds(config.getInt64("retention.sessions_days", 90) * kDay)
    , _refreshSeconds(config.getInt64("retention.refresh_tokens_days", 30) * kDay)
    , _jobsSeconds(config.getInt64("retention.jobs_days", 30) * kDay)
    , _refreshTtl(config.getInt64("auth.refresh_ttl_seconds", 2592000))
{
}

std::int64_t RetentionSweep::nowSeconds() const
{
    return clinic::nowSeconds(_clock);
}

void RetentionSweep::scheduleNext(Transaction& tx, JobQueue& jobs, std::int64_t afterSeconds)
{
    // One run per interval across every daemon: the key names the interval.
    const std::int64_t slot = afterSeconds / _intervalSeconds;
    const std::int64_t at = slot * _intervalSeconds;
    Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
    jobs.schedule(tx, kKind, payload, std::chrono::system_clock::time_point(std::chrono::seconds(at)),
        std::string(kKind) + ":" + std::to_string(slot));
}

void RetentionSweep::install(JobQueue& jobs)
{
    // Everything kept for ever: no job at all.
    if (_sessionsSeconds == 0 && _refreshSeconds == 0 && _jobsSeconds == 0)
        return;
    jobs.registerHandler(kKind, [this, &jobs](const Job&, Transaction& tx) {
        const Removed removed = sweep(tx);
        if (removed.sessions || removed.refreshTokens || removed.jobs)
            _log.information("retention: removed %?d sessions, %?d refresh tokens, %?d finished jobs",
                removed.sessions, removed.refreshTokens, removed.jobs);
        scheduleNext(tx, jobs, nowSeconds() + _intervalSeconds);
    });
    _db.transact([&](Transaction& tx) { scheduleNext(tx, jobs, nowSeconds()); });
}

RetentionSweep::Removed RetentionSweep::sweep(Transaction& tx)
{
    Removed out;
    const Poco::Int64 at = nowSeconds();
    if (_sessionsSeconds > 0) {
        // Ended sessions, and sessions nobody refreshed within the refresh
        // token lifetime (they can no longer be used), after the keep time.
        Poco::Int64 ended = at - _sessionsSeconds, idle = at - _refreshTtl - _sessionsSeconds;
        const std::string which
            = "revoked_at IS NOT NULL AND revoked_at <= ? OR revoked_at IS NULL AND last_used_at <= ?";
        tx.session() << "DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE "
                + which + ")",
            use(ended), use(idle), now;
        out.refreshTokens += rowsChanged(tx);
        tx.session() << "DELETE FROM sessions WHERE " + which, use(ended), use(idle), now;
        out.sessions = rowsChanged(tx);
    }
    if (_refreshSeconds > 0) {
        // Expired tokens cannot be used, spent or not.
        Poco::Int64 expired = at - _refreshSeconds;
        tx.session() << "DELETE FROM refresh_tokens WHERE expires_at <= ?", use(expired), now;
        out.refreshTokens += rowsChanged(tx);
    }
    if (_jobsSeconds > 0) {
        Poco::Int64 finishedMs = (at - _jobsSeconds) * 1000;
        tx.session() << "DELETE FROM jobs WHERE state IN ('done', 'failed') AND done_at <= ?",
            use(finishedMs), now;
        out.jobs = rowsChanged(tx);
    }
    // Every throttling window is far shorter than a day.
    Poco::Int64 stale = at - kDay;
    tx.session() << "DELETE FROM login_failures WHERE at <= ?", use(stale), now;
    out.attempts = rowsChanged(tx);
    return out;
}

} // namespace clinic
