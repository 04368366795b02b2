#include "jobs/JobQueueImpl.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <tuple>

#include <Poco/Data/Statement.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "clinic/Json.h"
#include "db/DatabaseImpl.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// Thrown inside the completion transaction when another worker took the
/// job over: rolls back the handler's work so it commits only once.
constexpr std::size_t kMaxPayloadBytes = 65535;

class LeaseLost : public std::runtime_error {
public:
    LeaseLost()
        : std::runtime_error("lease lost")
    {
    }
};

/// Rows the last INSERT/UPDATE on this session changed. Asked of the
/// database rather than of Poco's statement, whose count varies by connector.
std::int64_t changedRows(Poco::Data::Session& session, Dialect dialect)
{
    Poco::Int64 n = 0;
    session << (dialect == Dialect::SQLite ? "SELECT changes()" : "SELECT ROW_COUNT()"), into(n), now;
    return n;
}

std::string describe(const std::exception& e)
{
    if (auto pe = dynamic_cast<const Poco::Exception*>(&e))
        return pe->displayText();
    return e.what();
}

/// At most max bytes, cut on a UTF-8 boundary (MariaDB refuses a broken sequence).
std::string truncateUtf8(const std::string& text, std::size_t max)
{
    if (text.size() <= max)
        return text;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

std::string makeOwner()
{
    std::random_device rd;
    char suffix[9];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
    std::string host = Poco::Environment::nodeName().substr(0, 40);
    return host + ":" + std::to_string(::getpid()) + ":" + suffix;
}

} // namespace

std::vector<Migration> jobsMigrations(int firstVersion)
{
    // Instants are milliseconds since the epoch, UTC: run_at and the
    // bookkeeping columns on the daemon's clock, lease_until on real time.
    return {
        Migration(firstVersion, "jobs",
            {"CREATE TABLE jobs (id ${PK}, kind VARCHAR(64) NOT NULL, payload ${LONGTEXT} NOT NULL,"
             " run_at BIGINT NOT NULL, state VARCHAR(16) NOT NULL, attempts INT NOT NULL DEFAULT 0,"
             " last_error VARCHAR(1000) NULL, lease_owner VARCHAR(64) NULL, lease_until BIGINT NULL,"
             " idempotency_key VARCHAR(191) NOT NULL UNIQUE,"
             " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, done_at BIGINT NULL)${TABLE}"}),
        // Workers look for due jobs by state and run_at.
        Migration(
            firstVersion + 1, "jobs due index", {"CREATE INDEX jobs_state_run_at ON jobs (state, run_at)"}),
        // The metrics GROUP BY kind, state reads only this index.
        Migration(firstVersion + 2, "jobs kind index",
            {"CREATE INDEX jobs_kind_state ON jobs (kind, state, run_at)"}),
    };
}

JobQueueImpl::JobQueueImpl(DatabaseImpl& db, const Clock& clock, JobSettings settings)
    : _db(db)
    , _clock(clock)
    , _settings(settings)
    , _log(Poco::Logger::get("clinicd.jobs"))
    , _owner(makeOwner())
{
}

JobQueueImpl::~JobQueueImpl()
{
    stop();
}

std::int64_t JobQueueImpl::clockMs() const
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(_clock.now().time_since_epoch()).count();
}

std::int64_t JobQueueImpl::realMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double JobQueueImpl::backoffSeconds(const JobOptions& options, int attempt)
{
    double delay = options.backoffBaseSeconds * std::pow(2.0, std::max(0, attempt - 1));
    return std::min(delay, options.backoffMaxSeconds);
}

bool JobQueueImpl::schedule(Transaction& tx, const std::string& kind, Poco::JSON::Object::Ptr payload,
    std::chrono::system_clock::time_point runAt, const std::string& idempotencyKey)
{
    if (kind.empty() || kind.size() > 64)
        throw std::invalid_argument("job kind must be 1 to 64 bytes: \"" + kind + "\"");
    if (idempotencyKey.empty() || idempotencyKey.size() > 191)
        throw std::invalid_argument("job idempotency key must be 1 to 191 bytes");
    std::string k = kind;
    std::string key = idempotencyKey;
    std::string body = payload ? toJson(payload) : std::string("{}");
    if (body.size() > kMaxPayloadBytes)
        throw std::invalid_argument("job payload is " + std::to_string(body.size()) + " bytes; at most "
            + std::to_string(kMaxPayloadBytes) + " (carry ids, not documents)");
    Poco::Int64 runAtMs
        = std::chrono::duration_cast<std::chrono::milliseconds>(runAt.time_since_epoch()).count();
    Poco::Int64 nowMs = clockMs();
    // A duplicate key is skipped by the statement itself: a failing INSERT
    // would abort the caller's transaction on some backends.
    const std::string verb = tx.dialect() == Dialect::SQLite ? "INSERT OR IGNORE" : "INSERT IGNORE";
    tx.session() << verb
            + " INTO jobs (kind, payload, run_at, state, attempts, idempotency_key, created_at, updated_at)"
              " VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)",
        use(k), use(body), use(runAtMs), use(key), use(nowMs), use(nowMs), now;
    const bool inserted = changedRows(tx.session(), tx.dialect()) > 0;
    if (inserted)
        tx.afterCommit([this] { wake(); });
    return inserted;
}

void JobQueueImpl::registerAs(
    const std::string& owner, const std::string& kind, JobHandler handler, JobOptions options)
{
    if (kind.empty() || kind.size() > 64 || !handler)
        throw std::invalid_argument("a job handler needs a kind of 1 to 64 bytes and a function");
    if (options.maxAttempts < 1)
        throw std::invalid_argument("job kind " + kind + ": maxAttempts must be at least 1");
    std::lock_guard<std::mutex> lock(_handlersMutex);
    auto it = _handlers.find(kind);
    if (it != _handlers.end())
        throw std::invalid_argument(
            "job kind " + kind + " already has a handler (from " + it->second->owner + ")");
    _handlers[kind] = std::make_shared<const Handler>(Handler {owner, std::move(handler), options});
    wake();
}

bool JobQueueImpl::hasHandler(const std::string& kind) const
{
    std::lock_guard<std::mutex> lock(_handlersMutex);
    return _handlers.count(kind) > 0;
}

void JobQueueImpl::clearHandlers()
{
    std::lock_guard<std::mutex> lock(_handlersMutex);
    _handlers.clear();
}

std::shared_ptr<const JobQueueImpl::Handler> JobQueueImpl::handlerFor(const std::string& kind) const
{
    std::lock_guard<std::mutex> lock(_handlersMutex);
    auto it = _handlers.find(kind);
    return it == _handlers.end() ? nullptr : it->second;
}

std::vector<std::string> JobQueueImpl::kinds() const
{
    std::lock_guard<std::mutex> lock(_handlersMutex);
    std::vector<std::string> out;
    for (const auto& [kind, handler] : _handlers)
        out.push_back(kind);
    return out;
}

std::vector<JobQueueImpl::Claimed> JobQueueImpl::claim(int max)
{
    std::vector<std::string> handled = kinds();
    std::vector<Claimed> out;
    if (handled.empty() || max < 1)
        return out;
    std::string inKinds;
    for (std::size_t i = 0; i < handled.size(); ++i)
        inKinds += i ? ", ?" : "?";
    const std::string due
        = " WHERE ((state = 'queued' AND run_at <= ?) OR (state = 'running' AND lease_until < ?))"
          " AND kind IN ("
        + inKinds + ")";
    if (_db.dialect() == Dialect::SQLite) {
        // Look before taking the write lock: an idle daemon would otherwise
        // hold up every writer a few times a second just to find nothing.
        Poco::Int64 dueMs = clockMs();
        Poco::Int64 leaseNow = realMs();
        Poco::Int64 any = 0;
        Poco::Data::Session s = _db.session();
        Poco::Data::Statement peek(s);
        peek << "SELECT COUNT(*) FROM (SELECT id FROM jobs" + due + " LIMIT 1) AS due", use(dueMs),
            use(leaseNow);
        for (auto& k : handled)
            peek, use(k);
        peek, into(any);
        peek.execute();
        if (!any)
            return out;
    }
    _db.transact([&](Transaction& tx) {
        out.clear();
        Poco::Int64 dueMs = clockMs();
        Poco::Int64 leaseNow = realMs();
        Poco::Int64 leaseUntil = leaseNow + static_cast<Poco::Int64>(_settings.leaseSeconds) * 1000;
        std::vector<Poco::Int64> ids;
        std::vector<std::string> rowKinds, payloads, states;
        std::vector<int> attempts;
        // Expired leases first, then queued jobs in run_at order. Two plain
        // range reads, each in its index's order, rather than one OR: that
        // one sorts every due row per claim, and on MariaDB locks them all,
        // leaving nothing for the other daemons to skip to.
        auto select = [&](const std::string& where, Poco::Int64 bound, const std::string& order) {
            Poco::Int64 limit = max - static_cast<Poco::Int64>(ids.size());
            if (limit <= 0)
                return;
            // Poco 1.11's MySQL connector crashes extracting a LONGTEXT
            // column into a string (a zero-length buffer); as a cast the
            // payload comes back as MEDIUMTEXT, which it reads correctly.
            // schedule() keeps payloads within the cast.
            std::string sql = std::string("SELECT id, kind, ")
                + (tx.dialect() == Dialect::MySQL ? "CAST(payload AS CHAR(65535))" : "payload")
                + ", attempts, state FROM jobs WHERE " + where + " AND kind IN (" + inKinds + ") ORDER BY "
                + order + ", id LIMIT ?";
            // Rows another daemon is claiming are skipped, not waited for.
            if (tx.dialect() == Dialect::MySQL)
                sql += " FOR UPDATE SKIP LOCKED";
            std::vector<Poco::Int64> i;
            std::vector<std::string> k, p, st;
            std::vector<int> a;
            Poco::Data::Statement statement(tx.session());
            statement << sql, use(bound);
            for (auto& kind : handled)
                statement, use(kind);
            statement, use(limit), into(i), into(k), into(p), into(a), into(st);
            statement.execute();
            ids.insert(ids.end(), i.begin(), i.end());
            rowKinds.insert(rowKinds.end(), k.begin(), k.end());
            payloads.insert(payloads.end(), p.begin(), p.end());
            attempts.insert(attempts.end(), a.begin(), a.end());
            states.insert(states.end(), st.begin(), st.end());
        };
        select("state = 'running' AND lease_until < ?", leaseNow, "lease_until");
        select("state = 'queued' AND run_at <= ?", dueMs, "run_at");

        Poco::Int64 nowMs = dueMs;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            Poco::Int64 id = ids[i];
            auto handler = handlerFor(rowKinds[i]);
            if (!handler)
                continue;
            if (states[i] == "running" && attempts[i] >= handler->options.maxAttempts) {
                // Its worker died on the last allowed attempt: running it again
                // would exceed maxAttempts (and a job that kills its daemon
                // would kill every daemon in turn).
                std::string error = "lease expired on attempt " + std::to_string(attempts[i])
                    + " (the worker stopped without finishing)";
                tx.session() << "UPDATE jobs SET state = 'failed', last_error = ?, lease_owner = NULL,"
                                " lease_until = NULL, updated_at = ?, done_at = ? WHERE id = ?",
                    use(error), use(nowMs), use(nowMs), use(id), now;
                continue;
            }
            if (states[i] == "running")
                _log.warning("job %Ld (%s): lease of a stopped worker expired, claiming it again",
                    static_cast<long long>(id), rowKinds[i]);
            tx.session() << "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?,"
                            " lease_until = ?, updated_at = ? WHERE id = ?",
                use(_owner), use(leaseUntil), use(nowMs), use(id), now;
            Claimed c;
            c.job.id = id;
            c.job.kind = rowKinds[i];
            c.job.attempt = attempts[i] + 1;
            c.attempts = attempts[i] + 1;
            try {
                Poco::JSON::Parser parser;
                c.job.payload = parser.parse(payloads[i]).extract<Poco::JSON::Object::Ptr>();
            } catch (const std::exception&) {
                c.job.payload = nullptr; // run() records the bad payload as the job's failure
            }
            out.push_back(std::move(c));
        }
    });
    return out;
}

void JobQueueImpl::run(const Claimed& claimed)
{
    auto handler = handlerFor(claimed.job.kind);
    if (!handler) {
        release(claimed);
        return;
    }
    Poco::Int64 id = claimed.job.id;
    Poco::Int64 attempts = claimed.attempts;
    try {
        if (!claimed.job.payload)
            throw std::runtime_error("payload is not a JSON object");
        _db.transact([&](Transaction& tx) {
            handler->fn(claimed.job, tx);
            Poco::Int64 nowMs = clockMs();
            tx.session() << "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL,"
                            " updated_at = ?, done_at = ? WHERE id = ? AND state = 'running'"
                            " AND lease_owner = ? AND attempts = ?",
                use(nowMs), use(nowMs), use(id), use(_owner), use(attempts), now;
            if (changedRows(tx.session(), tx.dialect()) == 0)
                throw LeaseLost();
        });
    } catch (const LeaseLost&) {
        _log.warning("job %Ld (%s): lease expired and another worker took it over; this run rolled back",
            static_cast<long long>(id), claimed.job.kind);
    } catch (const std::exception& e) {
        recordFailure(claimed, handler->options, describe(e));
    }
}

void JobQueueImpl::recordFailure(const Claimed& claimed, const JobOptions& options, const std::string& error)
{
    const bool last = claimed.attempts >= options.maxAttempts;
    std::string state = last ? "failed" : "queued";
    std::string message = truncateUtf8(error, 1000);
    Poco::Int64 id = claimed.job.id;
    Poco::Int64 attempts = claimed.attempts;
    Poco::Int64 nowMs = clockMs();
    Poco::Int64 runAt
        = nowMs + static_cast<Poco::Int64>(std::llround(backoffSeconds(options, claimed.attempts) * 1000.0));
    // A failed job is finished: done_at says when it gave up.
    const std::string doneAt = last ? "?" : "NULL";
    try {
        _db.transact([&](Transaction& tx) {
            Poco::Data::Statement update(tx.session());
            update << "UPDATE jobs SET state = ?, run_at = ?, last_error = ?, lease_owner = NULL,"
                      " lease_until = NULL, updated_at = ?, done_at = "
                    + doneAt + " WHERE id = ? AND state = 'running' AND lease_owner = ? AND attempts = ?",
                use(state), use(runAt), use(message), use(nowMs);
            if (last)
                update, use(nowMs);
            update, use(id), use(_owner), use(attempts);
            update.execute();
        });
    } catch (const std::exception& e) {
        // The lease expires and the job is claimed again: nothing is lost.
        _log.error("job %Ld (%s): cannot record its failure: %s", static_cast<long long>(id),
            claimed.job.kind, describe(e));
        return;
    }
    if (last)
        _log.error("job %Ld (%s) failed after %d attempt(s): %s", static_cast<long long>(id),
            claimed.job.kind, claimed.attempts, error);
    else
        _log.warning("job %Ld (%s) attempt %d failed, retry in %.1f s: %s", static_cast<long long>(id),
            claimed.job.kind, claimed.attempts, backoffSeconds(options, claimed.attempts), error);
}

void JobQueueImpl::release(const Claimed& claimed)
{
    Poco::Int64 id = claimed.job.id;
    Poco::Int64 attempts = claimed.attempts;
    Poco::Int64 nowMs = clockMs();
    try {
        _db.transact([&](Transaction& tx) {
            tx.session() << "UPDATE jobs SET state = 'queued', attempts = attempts - 1, lease_owner = NULL,"
                            " lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'running'"
                            " AND lease_owner = ? AND attempts = ?",
                use(nowMs), use(id), use(_owner), use(attempts), now;
        });
    } catch (const std::exception& e) {
        _log.warning("job %Ld: cannot release it (its lease will expire): %s", static_cast<long long>(id),
            describe(e));
    }
}

int JobQueueImpl::runDue(int max)
{
    auto claimed = claim(max);
    for (std::size_t i = 0; i < claimed.size(); ++i) {
        if (_stopping) {
            // Hand the rest back now rather than after the lease expires.
            for (std::size_t j = i; j < claimed.size(); ++j)
                release(claimed[j]);
            break;
        }
        run(claimed[i]);
    }
    return static_cast<int>(claimed.size());
}

JobStats JobQueueImpl::stats()
{
    JobStats out;
    Poco::Int64 nowMs = clockMs();
    std::vector<std::string> kinds, states;
    std::vector<Poco::Int64> counts;
    std::vector<Poco::Int64> oldest;
    Poco::Data::Session s = _db.session();
    s << "SELECT kind, state, COUNT(*), COALESCE(MIN(CASE WHEN state = 'queued' AND run_at <= ? THEN run_at "
         "END), 0)"
         " FROM jobs WHERE state IN ('queued', 'running', 'failed') GROUP BY kind, state",
        use(nowMs), into(kinds), into(states), into(counts), into(oldest), now;
    // The backlog age counts the kinds this daemon runs: a kind no loaded
    // plugin handles (reminders queued for a notifications plugin that is not
    // installed yet) waits by design and shows in clinicd_jobs instead.
    Poco::Int64 minDue = 0;
    std::lock_guard<std::mutex> lock(_handlersMutex);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        out.rows.push_back({kinds[i], states[i], counts[i]});
        if (oldest[i] != 0 && (minDue == 0 || oldest[i] < minDue) && _handlers.count(kinds[i]))
            minDue = oldest[i];
    }
    if (minDue)
        out.oldestDueAgeSeconds = std::max<double>(0, static_cast<double>(nowMs - minDue) / 1000.0);
    return out;
}

void JobQueueImpl::wake()
{
    {
        std::lock_guard<std::mutex> lock(_wakeMutex);
        ++_wakeSeq;
    }
    _wakeCv.notify_all();
}

void JobQueueImpl::start()
{
    if (!_workers.empty())
        return;
    _stopping = false;
    for (int i = 0; i < _settings.workers; ++i)
        _workers.emplace_back([this, i] { workerLoop(i); });
    _log.information("%d job worker(s) started (lease owner %s, poll %d ms, lease %d s)", _settings.workers,
        _owner, _settings.pollMs, _settings.leaseSeconds);
}

void JobQueueImpl::stop()
{
    if (_workers.empty())
        return;
    _stopping = true;
    wake();
    for (auto& t : _workers)
        t.join();
    _workers.clear();
    _log.information("job workers stopped");
}

void JobQueueImpl::workerLoop(int index)
{
    while (!_stopping) {
        std::uint64_t seen;
        {
            std::lock_guard<std::mutex> lock(_wakeMutex);
            seen = _wakeSeq;
        }
        int claimed = 0;
        try {
            claimed = runDue(_settings.batch);
        } catch (const std::exception& e) {
            _log.error("job worker %d: %s", index, describe(e));
        }
        if (claimed > 0)
            continue;
        std::unique_lock<std::mutex> lock(_wakeMutex);
        _wakeCv.wait_for(
            lock, std::chrono::milliseconds(_settings.pollMs), [&] { return _stopping || _wakeSeq != seen; });
    }
}

JobQueueImpl& StagedJobQueue::queue() const
{
    if (!_queue)
        throw std::logic_error("the job queue needs the database: it is not open");
    return *_queue;
}

bool StagedJobQueue::schedule(Transaction& tx, const std::string& kind, Poco::JSON::Object::Ptr payload,
    std::chrono::system_clock::time_point runAt, const std::string& idempotencyKey)
{
    return queue().schedule(tx, kind, std::move(payload), runAt, idempotencyKey);
}

void StagedJobQueue::registerHandler(const std::string& kind, JobHandler handler, JobOptions options)
{
    if (kind.empty() || kind.size() > 64 || !handler)
        throw std::invalid_argument("a job handler needs a kind of 1 to 64 bytes and a function");
    if (options.maxAttempts < 1)
        throw std::invalid_argument("job kind " + kind + ": maxAttempts must be at least 1");
    for (const auto& staged : _staged)
        if (std::get<0>(staged) == kind)
            throw std::invalid_argument("job kind " + kind + " registered twice");
    _staged.emplace_back(kind, std::move(handler), options);
}

void StagedJobQueue::check() const
{
    for (const auto& staged : _staged)
        if (queue().hasHandler(std::get<0>(staged)))
            throw std::invalid_argument("job kind " + std::get<0>(staged) + " already has a handler");
}

void StagedJobQueue::commit()
{
    for (auto& [kind, handler, options] : _staged)
        queue().registerAs(_owner, kind, std::move(handler), options);
    _staged.clear();
}

} // namespace clinic
