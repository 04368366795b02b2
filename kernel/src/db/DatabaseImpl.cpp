#include "db/DatabaseImpl.h"

#include <algorithm>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include <sqlite3.h>

#include <Poco/Data/PooledSessionImpl.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#ifdef CLINICD_WITH_MYSQL
#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/MySQL/MySQLException.h>
#include <Poco/Data/MySQL/SessionImpl.h>
#endif

#include "clinic/Http.h"
#include "db/DatabaseFault.h"
#include "db/TimedMySqlConnector.h"
#include "log/Logging.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// A pool that prepares every new session for the daemon's use.
class PreparedSessionPool : public Poco::Data::SessionPool {
public:
    PreparedSessionPool(
        const std::string& connector, const std::string& connection, int max, const DatabaseOptions& options)
        : Poco::Data::SessionPool(connector, connection, 1, max, 600)
        , _options(options)
    {
    }

protected:
    void customizeSession(Poco::Data::Session& session) override
    {
        if (session.connector() == "sqlite") {
            session << "PRAGMA busy_timeout=" + std::to_string(_options.busyTimeoutMs), now;
            session << "PRAGMA journal_mode=WAL", now;
            session << "PRAGMA synchronous=" + _options.synchronous, now;
            session << "PRAGMA foreign_keys=ON", now;
        } else {
            session << "SET SESSION "
                       "sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'",
                now;
            session << "SET SESSION time_zone='+00:00'", now;
            session << "SET SESSION autocommit=1", now;
            session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", now;
            // A lock wait must end before the socket's read timeout does, or
            // contention would look like a lost server (and not be retried).
            const int io = _options.ioTimeoutSeconds;
            if (io > 0 && io / 2 < 50)
                session << "SET SESSION innodb_lock_wait_timeout=" + std::to_string(std::max(1, io / 2)), now;
        }
    }

private:
    DatabaseOptions _options;
};

/// The connection under a pool wrapper. PooledSessionImpl keeps impl()
/// protected; naming it through a subclass is the standard-conforming way
/// to reach it without changing POCO.
struct PooledSessionAccess : Poco::Data::PooledSessionImpl {
    static Poco::Data::SessionImpl* inner(const Poco::Data::PooledSessionImpl& pooled)
    {
        return (pooled.*(&PooledSessionAccess::impl))();
    }
};

bool messageHas(const std::exception& e, std::initializer_list<const char*> needles)
{
    std::string text;
    if (auto pe = dynamic_cast<const Poco::Exception*>(&e))
        text = pe->displayText();
    else
        text = e.what();
    for (const char* n : needles)
        if (text.find(n) != std::string::npos)
            return true;
    return false;
}

/// What a client gets when the database stays contended past every retry:
/// the request did nothing (its transaction rolled back) and may be sent again.
HttpError databaseBusy()
{
    HttpError busy(503, "DATABASE_BUSY", "the database is busy; try again shortly");
    busy.headers().emplace_back("Retry-After", "1");
    return busy;
}

/// A pause before the next attempt: doubling from 5 ms up to 160 ms, and
/// jittered to half of that at random, so transactions that deadlocked on
/// each other do not meet again in the same order at the same instant.
std::chrono::microseconds backoff(int attempt)
{
    thread_local std::mt19937 random {std::random_device {}()};
    const long ceiling = 5000L << std::min(attempt - 1, 5);
    return std::chrono::microseconds(std::uniform_int_distribution<long>(ceiling / 2, ceiling)(random));
}

} // namespace

std::string sqliteLocationProblem(const std::string& path)
{
    const std::string parent = Poco::Path(path).absolute().parent().toString();
    struct stat st { };
    if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return "the directory " + parent + " of " + path
            + " does not exist (clinicd makes data.dir, nothing else: is db.url misspelt?)";
    const bool fileExists = ::stat(path.c_str(), &st) == 0;
    // SQLite writes its -wal, -shm and -journal beside the file.
    if (::access(parent.c_str(), W_OK | X_OK) != 0)
        return "the directory " + parent + " is not writable by uid " + std::to_string(::geteuid()) + ": "
            + std::strerror(errno);
    if (fileExists && ::access(path.c_str(), R_OK | W_OK) != 0)
        return path + " is not writable by uid " + std::to_string(::geteuid()) + ": " + std::strerror(errno);
    return "";
}

DatabaseImpl::DatabaseImpl(const DatabaseOptions& options)
    : _url(DbUrl::parse(options.url))
    , _log(Poco::Logger::get("clinicd.db"))
    , _busyTimeoutMs(options.busyTimeoutMs)
    , _ioTimeoutSeconds(options.ioTimeoutSeconds)
{
    std::string connector;
    if (_url.dialect == Dialect::SQLite) {
        Poco::Data::SQLite::Connector::registerConnector();
        connector = "sqlite";
        // Never made here: a typo in db.url would otherwise become a fresh,
        // empty database that reports ready. clinicd makes data.dir only.
        const std::string problem = sqliteLocationProblem(_url.path);
        if (!problem.empty())
            throw std::invalid_argument("db.url: " + problem);
    } else {
        connector = registerTimedMySqlConnector(options.connectTimeoutSeconds, options.ioTimeoutSeconds);
    }
    _pool
        = std::make_unique<PreparedSessionPool>(connector, _url.connectionString(), options.poolMax, options);
    // Open one session now so a wrong path or password fails at start, not
    // on the first request.
    Poco::Data::Session first = livingSession();
    if (_url.dialect == Dialect::SQLite) {
        struct stat st { };
        if (::stat(_url.path.c_str(), &st) == 0) {
            _fileDevice = st.st_dev;
            _fileInode = st.st_ino;
        }
    }
}

DatabaseImpl::~DatabaseImpl()
{
    if (_pool)
        _pool->shutdown();
}

Poco::Data::Session DatabaseImpl::session()
{
    return livingSession();
}

namespace {

long long steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

void DatabaseImpl::noteUnreachable()
{
    _unreachableUntilMs = steadyMs() + 1000;
}

/// A session from the pool that is still connected. Poco's pool tests only
/// its own "connected" flag, and isGood() trusts a connection whose last call
/// succeeded, so a MariaDB connection the server dropped (restart, failover,
/// wait_timeout) would be handed out forever. Each MariaDB session is pinged
/// (one small round trip, limited to two seconds); a dead one is closed
/// underneath its pool wrapper, and the pool drops it when it comes back and
/// opens a fresh one. A ping that fails slowly means a server that accepts
/// but does not answer (stopped, or the path to it cut): the caller is told
/// at once instead of trying every pooled session in turn.
Poco::Data::Session DatabaseImpl::livingSession()
{
    if (_url.dialect == Dialect::SQLite)
        return _pool->get();
    if (steadyMs() < _unreachableUntilMs.load())
        throw faultAnswer(DatabaseFault::Unavailable);
    const auto started = std::chrono::steady_clock::now();
    for (int attempt = 0;; ++attempt) {
        std::optional<Poco::Data::Session> got;
        {
            // No idle session: the pool will connect, holding its lock for as
            // long as that takes. Callers queue here instead, and those behind
            // a connect that found the server gone are answered at once (the
            // mark is set before the next one is let in).
            std::unique_lock<std::mutex> gate(_connectGate, std::defer_lock);
            if (_pool->idle() == 0) {
                gate.lock();
                if (steadyMs() < _unreachableUntilMs.load())
                    throw faultAnswer(DatabaseFault::Unavailable);
            }
            try {
                got.emplace(_pool->get());
            } catch (const std::exception& e) {
                if (databaseFaultOf(e) == DatabaseFault::Unavailable)
                    noteUnreachable();
                throw;
            }
        }
        Poco::Data::Session s = *got;
        if (attempt > _pool->capacity())
            return s;
#ifdef CLINICD_WITH_MYSQL
        auto* pooled = dynamic_cast<Poco::Data::PooledSessionImpl*>(s.impl());
        auto* inner = pooled
            ? dynamic_cast<Poco::Data::MySQL::SessionImpl*>(PooledSessionAccess::inner(*pooled))
            : nullptr;
        if (!inner)
            return s;
        MYSQL* handle = inner->handle();
        constexpr int kPingSeconds = 2;
        setMySqlIoTimeout(
            handle, _ioTimeoutSeconds > 0 ? std::min(kPingSeconds, _ioTimeoutSeconds) : kPingSeconds);
        const bool alive = mysql_ping(handle) == 0;
        setMySqlIoTimeout(handle, _ioTimeoutSeconds);
        if (alive)
            return s;
        try {
            inner->close();
        } catch (const Poco::Exception&) {
        }
        if (std::chrono::steady_clock::now() - started >= std::chrono::seconds(1)) {
            noteUnreachable();
            throw faultAnswer(DatabaseFault::Unavailable);
        }
#else
        return s;
#endif
    }
}

namespace {

/// A group member that did nothing wrong but whose group's transaction was
/// lost (SQLite rolled the whole transaction back under another member's
/// failure, or COMMIT failed): it is run again like a busy-database victim.
class GroupLost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Runs fn's after-commit hooks; a failing hook is logged, never rethrown.
void runAfterCommit(std::vector<std::function<void()>>& hooks, Poco::Logger& log)
{
    for (auto& hook : hooks) {
        try {
            hook();
        } catch (const std::exception& e) {
            log.error("after-commit hook failed: %s", std::string(e.what()));
        }
    }
}

/// The databases this thread is writing to right now: a transaction opened
/// inside another of the same database (on the same thread) must not wait
/// for the writer queue it is itself holding up.
thread_local std::vector<const DatabaseImpl*> writing;

struct Writing {
    explicit Writing(const DatabaseImpl* db) { writing.push_back(db); }
    ~Writing() { writing.pop_back(); }
    Writing(const Writing&) = delete;
    Writing& operator=(const Writing&) = delete;
};

} // namespace

void DatabaseImpl::transact(const std::function<void(Transaction&)>& fn)
{
    const bool nested = std::find(writing.begin(), writing.end(), this) != writing.end();
    try {
        if (_url.dialect == Dialect::SQLite && !nested)
            transactGrouped(fn);
        else
            transactRetrying(fn);
    } catch (const std::exception& e) {
        // A lost server or a full disk is not the request's fault and not a
        // bug: the transaction rolled back (or never began), so the client
        // is told 503 and may send it again. Anything else goes on as it was.
        const DatabaseFault fault = databaseFaultOf(e);
        if (fault == DatabaseFault::None || nested)
            throw;
        const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
        _log.warning("a write failed, %s: %s",
            std::string(
                fault == DatabaseFault::StorageFull ? "the disk is full" : "the database is unavailable"),
            pe ? pe->displayText() : std::string(e.what()));
        if (fault == DatabaseFault::StorageFull) {
            if (_storageFullWrites)
                _storageFullWrites->Increment();
            noteStorageFull(true);
        } else {
            // A connector's own error, not an answer from the mark: the
            // server was found gone just now.
            if (!dynamic_cast<const HttpError*>(&e))
                noteUnreachable();
            if (_unavailableWrites)
                _unavailableWrites->Increment();
        }
        if (dynamic_cast<const HttpError*>(&e))
            throw;
        throw faultAnswer(fault);
    }
    if (!nested && _storageFull.load())
        noteStorageFull(false);
}

void DatabaseImpl::transactRetrying(const std::function<void(Transaction&)>& fn)
{
    // Deadlock victims and SQLite busy errors are run again: InnoDB rolled the
    // whole transaction back, so fn starts from nothing and its after-commit
    // hooks (events) belong to the attempt that commits. A lock wait timeout
    // already waited the server's whole innodb_lock_wait_timeout, so it gets
    // one more try only. Contention that outlasts the retries answers 503
    // DATABASE_BUSY: the client's request had no effect and may be repeated.
    // A nested SQLite transaction comes here too, and meets the lock its own
    // thread holds as SQLite's busy error, rather than a deadlock.
    constexpr int kAttempts = 8;
    constexpr int kLockWaitAttempts = 2;
    for (int attempt = 1;; ++attempt) {
        Poco::Data::Session s = livingSession();
        Transaction tx(s, _url.dialect);
        bool begun = false;
        try {
            Writing inside(this);
            // Plain SQL on both backends: POCO 1.11's MySQL begin() switches
            // autocommit off and commit() never switches it back, which left
            // every pooled session inside an implicit transaction afterwards
            // (later writes outside transact() uncommitted, their locks held).
            s << (_url.dialect == Dialect::SQLite ? "BEGIN IMMEDIATE" : "START TRANSACTION"), now;
            begun = true;
            fn(tx);
            s << "COMMIT", now;
        } catch (const std::exception& e) {
            if (begun) {
                try {
                    s << "ROLLBACK", now;
                } catch (const std::exception& rollbackError) {
                    _log.warning("rollback failed: %s", std::string(rollbackError.what()));
                }
            }
            const Contention why = contentionOf(e);
            if (why == Contention::None)
                throw;
            const int limit = why == Contention::LockWaitTimeout ? kLockWaitAttempts : kAttempts;
            if (attempt >= limit) {
                const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
                _log.warning("transaction gave up after %d attempts: %s", attempt,
                    pe ? pe->displayText() : std::string(e.what()));
                throw databaseBusy();
            }
            countRetry(why);
            std::this_thread::sleep_for(backoff(attempt));
            continue;
        }
        runAfterCommit(tx.pendingAfterCommit(), _log);
        return;
    }
}

void DatabaseImpl::transactGrouped(const std::function<void(Transaction&)>& fn)
{
    // SQLite runs one writer at a time and pays one fsync per COMMIT (WAL,
    // synchronous=FULL). This daemon's writers queue here in arrival order;
    // whoever finds no group running takes every write queued at that moment
    // and commits them as one transaction, each inside its own savepoint, so
    // one fsync makes the whole group durable and a refused write rolls back
    // alone. A write alone in the queue is committed at once, without
    // savepoints: no caller waits for company. Each caller learns its outcome
    // only after the COMMIT (or the failure) of its group and then runs its
    // own after-commit hooks on its own thread. Other processes (clinicctl)
    // still meet SQLite's busy timeout.
    constexpr int kAttempts = 8;
    for (int attempt = 1;; ++attempt) {
        QueuedWrite write;
        write.fn = &fn;
        write.requestId = RequestScope::current();
        submit(write);
        if (!write.error) {
            runAfterCommit(write.afterCommit, _log);
            return;
        }
        try {
            std::rethrow_exception(write.error);
        } catch (const std::exception& e) {
            const Contention why = contentionOf(e);
            if (why == Contention::None)
                throw;
            if (attempt >= kAttempts) {
                const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
                _log.warning("transaction gave up after %d attempts: %s", attempt,
                    pe ? pe->displayText() : std::string(e.what()));
                throw databaseBusy();
            }
            countRetry(why);
        }
        std::this_thread::sleep_for(backoff(attempt));
    }
}

void DatabaseImpl::submit(QueuedWrite& write)
{
    std::unique_lock<std::mutex> lock(_queueMutex);
    _queue.push_back(&write);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(_busyTimeoutMs);
    while (!write.done) {
        if (!_committing) {
            _committing = true;
            std::vector<QueuedWrite*> group(_queue.begin(), _queue.end());
            _queue.clear();
            lock.unlock();
            try {
                commitGroup(group);
            } catch (...) {
                // Whatever escaped (memory, a logger) must not leave the
                // queue without a committing writer forever.
                for (auto* w : group)
                    if (!w->error)
                        w->error = std::current_exception();
            }
            lock.lock();
            for (auto* w : group)
                w->done = true;
            _committing = false;
            _groupDone.notify_all();
            continue;
        }
        if (_groupDone.wait_until(lock, deadline) != std::cv_status::timeout)
            continue;
        // Past the busy timeout and still not taken into a group: leave the
        // queue and answer as SQLite's own busy timeout would have. A write
        // already taken waits for its group's outcome, however long.
        auto queued = std::find(_queue.begin(), _queue.end(), &write);
        if (queued != _queue.end()) {
            _queue.erase(queued);
            lock.unlock();
            _log.warning("a write waited past db.busy_timeout_ms for this daemon's other writers");
            throw databaseBusy();
        }
    }
}

std::size_t DatabaseImpl::queuedWrites()
{
    std::lock_guard<std::mutex> lock(_queueMutex);
    return _queue.size();
}

void DatabaseImpl::commitGroup(const std::vector<QueuedWrite*>& group)
{
    Writing inside(this);
    const bool alone = group.size() == 1;
    auto failAll = [&](std::exception_ptr why, bool exceptFailed) {
        for (auto* w : group)
            if (!exceptFailed || !w->error)
                w->error = why;
    };
    std::optional<Poco::Data::Session> opened;
    try {
        opened.emplace(livingSession());
        *opened << "BEGIN IMMEDIATE", now;
    } catch (...) {
        failAll(std::current_exception(), false);
        return;
    }
    Poco::Data::Session& s = *opened;
    bool lost = false;
    // Why the group was lost, when it was the disk: every member then hears
    // that (503 STORAGE_FULL) rather than being run again into the same wall.
    std::exception_ptr lostToFullDisk;
    for (auto* w : group) {
        if (lost) {
            w->error = lostToFullDisk
                ? lostToFullDisk
                : std::make_exception_ptr(GroupLost("the group's transaction was rolled back"));
            continue;
        }
        Transaction tx(s, _url.dialect);
        RequestScope scope(w->requestId);
        try {
            if (!alone)
                s << "SAVEPOINT clinic_write", now;
            (*w->fn)(tx);
            if (!alone)
                s << "RELEASE clinic_write", now;
            w->afterCommit = std::move(tx.pendingAfterCommit());
        } catch (...) {
            w->error = std::current_exception();
            if (alone)
                break;
            try {
                // An I/O or memory error may have ended the whole
                // transaction; then ROLLBACK TO finds no savepoint.
                if (sqlite3_get_autocommit(Poco::Data::SQLite::Utility::dbHandle(s)))
                    throw GroupLost("the transaction ended inside a savepoint");
                s << "ROLLBACK TO clinic_write", now;
                s << "RELEASE clinic_write", now;
            } catch (const std::exception& e) {
                _log.warning(
                    "a failed write took its group's transaction with it: %s", std::string(e.what()));
                lost = true;
                try {
                    std::rethrow_exception(w->error);
                } catch (const std::exception& cause) {
                    if (databaseFaultOf(cause) == DatabaseFault::StorageFull)
                        lostToFullDisk = w->error;
                } catch (...) {
                }
            }
        }
    }
    if (lost || (alone && group.front()->error)) {
        try {
            s << "ROLLBACK", now;
        } catch (const std::exception& e) {
            // Nothing to roll back when SQLite already did.
            if (!sqlite3_get_autocommit(Poco::Data::SQLite::Utility::dbHandle(s)))
                _log.warning("rollback failed: %s", std::string(e.what()));
        }
        if (lost) {
            for (auto* w : group)
                w->afterCommit.clear();
            failAll(lostToFullDisk
                    ? lostToFullDisk
                    : std::make_exception_ptr(GroupLost("the group's transaction was rolled back")),
                true);
        }
        return;
    }
    try {
        s << "COMMIT", now;
    } catch (...) {
        auto why = std::current_exception();
        try {
            s << "ROLLBACK", now;
        } catch (const std::exception&) {
        }
        for (auto* w : group)
            w->afterCommit.clear();
        failAll(why, true);
        return;
    }
    _groupCommits += 1;
    _groupedWrites += static_cast<long long>(group.size());
    if (_groupCommitsCounted) {
        _groupCommitsCounted->Increment();
        _groupedWritesCounted->Increment(static_cast<double>(group.size()));
    }
}

DatabaseImpl::Contention DatabaseImpl::contentionOf(const std::exception& e) const
{
    if (_url.dialect == Dialect::SQLite) {
        if (dynamic_cast<const GroupLost*>(&e)
            || dynamic_cast<const Poco::Data::SQLite::DBLockedException*>(&e)
            || dynamic_cast<const Poco::Data::SQLite::TableLockedException*>(&e)
            || messageHas(e, {"database is locked", "SQLITE_BUSY"}))
            return Contention::Busy;
        return Contention::None;
    }
    // Poco's MySQL exceptions carry code() 0: the server's errno and
    // SQLSTATE are only in the text. 1213 / 40001: this transaction was the
    // deadlock victim; 1205: it waited innodb_lock_wait_timeout for a lock.
    if (messageHas(e, {"Deadlock found", "[1213]", ": 1213", "40001"}))
        return Contention::Deadlock;
    if (messageHas(e, {"Lock wait timeout", "[1205]", ": 1205"}))
        return Contention::LockWaitTimeout;
    return Contention::None;
}

void DatabaseImpl::countRetriesIn(prometheus::Registry& registry)
{
    auto& family = prometheus::BuildCounter()
                       .Name("clinicd_db_transaction_retries_total")
                       .Help("Database transactions run again after contention, by reason")
                       .Register(registry);
    _deadlockRetries = &family.Add({{"reason", "deadlock"}});
    _lockWaitRetries = &family.Add({{"reason", "lock_wait_timeout"}});
    _busyRetries = &family.Add({{"reason", "busy"}});
    _groupCommitsCounted = &prometheus::BuildCounter()
                                .Name("clinicd_db_group_commits_total")
                                .Help("SQLite COMMITs of the writer queue, each one fsync for its group")
                                .Register(registry)
                                .Add({});
    _groupedWritesCounted = &prometheus::BuildCounter()
                                 .Name("clinicd_db_group_committed_writes_total")
                                 .Help("SQLite write transactions committed in those groups")
                                 .Register(registry)
                                 .Add({});
}

void DatabaseImpl::countRetry(Contention why)
{
    prometheus::Counter* counter = why == Contention::Deadlock ? _deadlockRetries
        : why == Contention::LockWaitTimeout                   ? _lockWaitRetries
                                                               : _busyRetries;
    if (counter)
        counter->Increment();
}

bool DatabaseImpl::isUniqueViolation(const std::exception& e) const
{
    if (_url.dialect == Dialect::SQLite) {
        return dynamic_cast<const Poco::Data::SQLite::ConstraintViolationException*>(&e)
            && messageHas(e, {"UNIQUE", "PRIMARY KEY", "unique", "primary key"});
    }
    return messageHas(e, {"Duplicate entry", "[1062]", "1062"});
}

std::string DatabaseImpl::describe() const
{
    if (_url.dialect == Dialect::SQLite)
        return "SQLite " + _url.path;
    return "MariaDB " + _url.user + "@" + _url.host + ":" + std::to_string(_url.port) + "/" + _url.database;
}

ReadinessResult DatabaseImpl::check()
{
    try {
        if (_url.dialect == Dialect::SQLite) {
            struct stat st { };
            if (::stat(_url.path.c_str(), &st) != 0)
                return {false, "database file " + _url.path + " is gone"};
            if (static_cast<unsigned long long>(st.st_dev) != _fileDevice
                || static_cast<unsigned long long>(st.st_ino) != _fileInode)
                return {false, "database file " + _url.path + " was replaced while open"};
        }
        Poco::Data::Session s = livingSession();
        int one = 0;
        s << "SELECT 1", into(one), now;
        if (one != 1)
            return {false, "SELECT 1 returned " + std::to_string(one)};
        return {true, ""};
    } catch (const Poco::Exception& e) {
        return {false, e.displayText()};
    } catch (const std::exception& e) {
        return {false, e.what()};
    }
}

std::string DatabaseImpl::translate(const std::string& sql) const
{
    std::string out = sql;
    const bool lite = _url.dialect == Dialect::SQLite;
    Poco::replaceInPlace(out, std::string("${PK}"),
        std::string(
            lite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"));
    Poco::replaceInPlace(out, std::string("${TABLE}"),
        std::string(lite ? "" : " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"));
    // 64 KiB types on MariaDB: POCO 1.11's MySQL binding sizes each fetch
    // buffer from the column's declared maximum, so LONGTEXT would ask for
    // 4 GiB per row (and crashes). Large content belongs in files.
    Poco::replaceInPlace(out, std::string("${LONGTEXT}"), std::string("TEXT"));
    Poco::replaceInPlace(out, std::string("${BLOB}"), std::string("BLOB"));
    return out;
}

int DatabaseImpl::used() const
{
    return _pool->used();
}
int DatabaseImpl::idle() const
{
    return _pool->idle();
}

} // namespace clinic
