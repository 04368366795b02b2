#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Data/SessionPool.h>
#include <Poco/Logger.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "clinic/Database.h"
#include "clinic/Host.h"
#include "db/DbUrl.h"

namespace clinic {

struct DatabaseOptions {
    std::string url;
    int poolMax = 32;
    int busyTimeoutMs = 5000;
    std::string synchronous = "FULL";
    /// MariaDB: how long opening a connection may take, and how long one
    /// read or write on it may wait (0: no limit). A server that stops
    /// answering then costs a request this long, never for ever.
    int connectTimeoutSeconds = 5;
    int ioTimeoutSeconds = 30;
};

/// Why clinicd could not use a SQLite file at path, or "" if it can: its
/// directory must exist and be writable (SQLite writes its journal beside
/// it), and an existing file must be readable and writable.
std::string sqliteLocationProblem(const std::string& path);

/// The kernel's Database over a Poco::Data::SessionPool. SQLite sessions get
/// WAL, foreign keys, the configured synchronous level and busy timeout;
/// MariaDB sessions get strict mode, UTC and READ COMMITTED.
class DatabaseImpl : public Database {
public:
    explicit DatabaseImpl(const DatabaseOptions& options);
    ~DatabaseImpl() override;

    Dialect dialect() const override { return _url.dialect; }
    Poco::Data::Session session() override;
    void transact(const std::function<void(Transaction&)>& fn) override;
    bool isUniqueViolation(const std::exception& e) const override;
    std::string describe() const override;

    /// Readiness: a round trip to the server, and for SQLite that the file
    /// we opened is still the file at the configured path.
    ReadinessResult check();

    /// Readiness: the daemon can write. SQLite: the file, its directory and
    /// its -wal/-shm are writable by this process, and a connection can take
    /// the write lock (BEGIN IMMEDIATE, rolled back at once; a connection
    /// that opened the file read-only fails here). MariaDB: the server is
    /// not read-only.
    ReadinessResult checkWritable();

    /// Replaces ${PK}, ${TABLE}, ${LONGTEXT}, ${BLOB} for this backend.
    std::string translate(const std::string& sql) const;

    const DbUrl& url() const { return _url; }

    /// Sessions in use and idle, for metrics.
    int used() const;
    int idle() const;

    /// Counts transactions run again after a deadlock, lock wait timeout or
    /// busy database in clinicd_db_transaction_retries_total{reason}.
    void countRetriesIn(prometheus::Registry& registry);

    /// Writes refused because the database was gone or the disk full, in
    /// clinicd_db_write_failures_total{reason}, and clinicd_storage_full: 1
    /// from a write refused for lack of space until a write commits again
    /// or the disk check finds room.
    void countFaultsIn(prometheus::Registry& registry);

    /// Readiness of the disks under the data directory and the SQLite file:
    /// fails while a write was refused for lack of space and a probe write
    /// still finds none, or when a file system has almost nothing left.
    ReadinessResult checkStorage(const std::string& dataDir);
    bool storageFull() const { return _storageFull.load(); }

    /// SQLite group commit, for tests and metrics: write transactions taken
    /// from the writer queue, the COMMITs that made them durable, and how
    /// many are queued right now, not yet taken by a committing writer.
    struct GroupCommitFigures {
        long long writes = 0, commits = 0;
    };
    GroupCommitFigures groupCommitFigures() const { return {_groupedWrites.load(), _groupCommits.load()}; }
    std::size_t queuedWrites();

private:
    /// One caller's write transaction waiting in the SQLite writer queue.
    struct QueuedWrite {
        const std::function<void(Transaction&)>* fn = nullptr;
        std::string requestId; ///< the caller's, for log lines its function writes on another thread
        std::vector<std::function<void()>> afterCommit;
        std::exception_ptr error; ///< null once committed
        bool done = false;
    };

    void transactRetrying(const std::function<void(Transaction&)>& fn);
    void transactGrouped(const std::function<void(Transaction&)>& fn);
    /// A session that answers: see livingSession in the .cpp.
    Poco::Data::Session livingSession();
    void noteStorageFull(bool full);
    /// After a MariaDB connect, ping or statement found the server gone,
    /// callers are answered at once for a second instead of queueing on the
    /// pool, whose lock a connect that waits its whole timeout holds.
    void noteUnreachable();
    /// Queues one write; returns once a COMMIT made it durable or it failed.
    void submit(QueuedWrite& write);
    /// BEGIN IMMEDIATE, each write inside its own SAVEPOINT, one COMMIT.
    void commitGroup(const std::vector<QueuedWrite*>& group);

    /// Why a failed transaction may succeed if run again; None if it may not.
    enum class Contention { None, Deadlock, LockWaitTimeout, Busy };
    Contention contentionOf(const std::exception& e) const;
    void countRetry(Contention why);

    DbUrl _url;
    std::unique_ptr<Poco::Data::SessionPool> _pool;
    Poco::Logger& _log;
    std::mutex _queueMutex; ///< guards the writer queue below
    std::condition_variable _groupDone;
    std::deque<QueuedWrite*> _queue; ///< SQLite writes waiting for the next group
    bool _committing = false; ///< a writer is running a group now
    std::atomic<long long> _groupedWrites {0}, _groupCommits {0};
    prometheus::Counter* _groupCommitsCounted = nullptr;
    prometheus::Counter* _groupedWritesCounted = nullptr;
    int _busyTimeoutMs = 5000;
    prometheus::Counter* _deadlockRetries = nullptr;
    prometheus::Counter* _lockWaitRetries = nullptr;
    prometheus::Counter* _busyRetries = nullptr;
    int _ioTimeoutSeconds = 30;
    std::atomic<bool> _storageFull {false};
    std::atomic<long long> _unreachableUntilMs {0}; ///< steady clock
    std::mutex _connectGate; ///< callers about to open a MariaDB connection
    prometheus::Counter* _unavailableWrites = nullptr;
    prometheus::Counter* _storageFullWrites = nullptr;
    prometheus::Gauge* _storageFullGauge = nullptr;
    unsigned long long _fileDevice = 0;
    unsigned long long _fileInode = 0;
};

} // namespace clinic
