#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <Poco/Data/SessionPool.h>
#include <Poco/Logger.h>
#include <prometheus/counter.h>
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
};

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

    /// Replaces ${PK}, ${TABLE}, ${LONGTEXT}, ${BLOB} for this backend.
    std::string translate(const std::string& sql) const;

    const DbUrl& url() const { return _url; }

    /// Sessions in use and idle, for metrics.
    int used() const;
    int idle() const;

    /// Counts transactions run again after a deadlock, lock wait timeout or
    /// busy database in clinicd_db_transaction_retries_total{reason}.
    void countRetriesIn(prometheus::Registry& registry);

private:
    /// Why a failed transaction may succeed if run again; None if it may not.
    enum class Contention { None, Deadlock, LockWaitTimeout, Busy };
    Contention contentionOf(const std::exception& e) const;
    void countRetry(Contention why);

    DbUrl _url;
    std::unique_ptr<Poco::Data::SessionPool> _pool;
    Poco::Logger& _log;
    std::timed_mutex _sqliteWriter; ///< this process's SQLite writers queue here (see transact)
    int _busyTimeoutMs = 5000;
    prometheus::Counter* _deadlockRetries = nullptr;
    prometheus::Counter* _lockWaitRetries = nullptr;
    prometheus::Counter* _busyRetries = nullptr;
    unsigned long long _fileDevice = 0;
    unsigned long long _fileInode = 0;
};

} // namespace clinic
