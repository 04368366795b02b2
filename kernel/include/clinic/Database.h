#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>

namespace clinic {

enum class Dialect { SQLite, MySQL };

/// A unit of work on one pooled session. Obtained only through
/// Database::transact(); commit and rollback are the database's business.
class Transaction {
public:
    explicit Transaction(Poco::Data::Session& session, Dialect dialect)
        : _session(session)
        , _dialect(dialect)
    {
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    Poco::Data::Session& session() { return _session; }
    Dialect dialect() const { return _dialect; }

    /// The id the last INSERT on this transaction's session generated for a
    /// ${PK} column. Safe under concurrency, unlike SELECT MAX(id): the value
    /// is per connection on both backends.
    std::int64_t lastInsertId();

    /// Runs fn after a successful commit, in registration order; never for a
    /// rolled-back transaction. Exceptions from fn are logged, not rethrown.
    void afterCommit(std::function<void()> fn) { _afterCommit.push_back(std::move(fn)); }

    /// The kernel drains these after commit.
    std::vector<std::function<void()>>& pendingAfterCommit() { return _afterCommit; }

private:
    Poco::Data::Session& _session;
    Dialect _dialect;
    std::vector<std::function<void()>> _afterCommit;
};

/// The daemon's database: a session pool over SQLite or MariaDB/MySQL.
class Database {
public:
    virtual ~Database() = default;

    virtual Dialect dialect() const = 0;

    /// A session from the pool for reads outside a transaction. It returns to
    /// the pool when the last copy is destroyed.
    virtual Poco::Data::Session session() = 0;

    /// Runs fn in a write transaction and commits; rolls back and rethrows on
    /// any exception. On SQLite the transaction is BEGIN IMMEDIATE, so writers
    /// queue on the busy timeout instead of failing on lock upgrade. A
    /// deadlock or busy error is retried a few times, so fn may run more than
    /// once and must not have side effects outside the transaction (use
    /// afterCommit for those).
    ///
    /// On SQLite the daemon's writes queue for one writer, which commits all
    /// those waiting at that moment as one transaction (one fsync), each fn
    /// inside its own SAVEPOINT: an exception rolls back that fn's writes
    /// alone and reaches its own caller. fn may therefore run on another
    /// request's thread (the log's request id follows it; other thread-local
    /// state does not); transact returns, and the after-commit hooks run on
    /// the caller's thread, only after the COMMIT that made it durable.
    virtual void transact(const std::function<void(Transaction&)>& fn) = 0;

    /// True if e is a UNIQUE/PRIMARY KEY violation on this backend.
    virtual bool isUniqueViolation(const std::exception& e) const = 0;

    /// The backend and its location, without credentials: safe to log.
    virtual std::string describe() const = 0;
};

} // namespace clinic
