#include "db/Migrator.h"

#include <ctime>
#include <stdexcept>

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

/// Serialises migrations across daemons on one MariaDB server; SQLite's
/// BEGIN IMMEDIATE already serialises writers.
class MigrationLock {
public:
    explicit MigrationLock(DatabaseImpl& db)
        : _db(db)
    {
        if (_db.dialect() != Dialect::MySQL)
            return;
        _session = std::make_unique<Poco::Data::Session>(_db.session());
        int got = 0;
        *_session << "SELECT GET_LOCK('clinicd.migrations', 60)", into(got), now;
        if (got != 1)
            throw std::runtime_error("another clinicd held the migration lock for 60 s");
    }
    ~MigrationLock()
    {
        if (!_session)
            return;
        try {
            int released = 0;
            *_session << "SELECT RELEASE_LOCK('clinicd.migrations')", into(released), now;
        } catch (...) {
        }
    }

private:
    DatabaseImpl& _db;
    std::unique_ptr<Poco::Data::Session> _session;
};

std::string describeError(const std::exception& e)
{
    if (auto pe = dynamic_cast<const Poco::Exception*>(&e))
        return pe->displayText();
    return e.what();
}

} // namespace

Migrator::Migrator(DatabaseImpl& db)
    : _db(db)
{
}

void Migrator::prepare()
{
    MigrationLock lock(_db);
    Poco::Data::Session s = _db.session();
    s << _db.translate("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " owner VARCHAR(64) NOT NULL,"
                       " version INTEGER NOT NULL,"
                       " description VARCHAR(255) NOT NULL,"
                       " applied_at BIGINT NOT NULL,"
                       " PRIMARY KEY (owner, version))${TABLE}"),
        now;
}

void Migrator::refuseNewer(const std::string& owner, const std::vector<Migration>& migrations)
{
    const int current = currentVersion(owner);
    const int known = migrations.empty() ? 0 : migrations.back().version;
    if (current > known)
        throw std::runtime_error("the database schema of " + owner + " is at version "
            + std::to_string(current) + " but this build knows only up to " + std::to_string(known)
            + ": refusing to run an older clinicd on it");
}

int Migrator::currentVersion(const std::string& owner)
{
    Poco::Data::Session s = _db.session();
    int version = 0;
    std::string who = owner;
    s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE owner = ?", use(who), into(version),
        now;
    return version;
}

int Migrator::pending(const std::string& owner, const std::vector<Migration>& migrations)
{
    int current = currentVersion(owner);
    int count = 0;
    for (const auto& m : migrations)
        if (m.version > current)
            ++count;
    return count;
}

std::map<std::string, int> Migrator::versions()
{
    Poco::Data::Session s = _db.session();
    std::vector<std::string> owners;
    std::vector<int> versions;
    s << "SELECT owner, MAX(version) FROM schema_migrations GROUP BY owner", into(owners), into(versions),
        now;
    std::map<std::string, int> out;
    for (std::size_t i = 0; i < owners.size(); ++i)
        out[owners[i]] = versions[i];
    return out;
}

int Migrator::apply(const std::string& owner, const std::vector<Migration>& migrations)
{
    int previous = 0;
    for (const auto& m : migrations) {
        if (m.version <= previous)
            throw std::invalid_argument(owner + ": migration versions must rise (" + std::to_string(m.version)
                + " after " + std::to_string(previous) + ")");
        previous = m.version;
    }
    MigrationLock lock(_db);
    refuseNewer(owner, migrations);
    const int current = currentVersion(owner);
    int ran = 0;
    for (const auto& m : migrations) {
        if (m.version <= current)
            continue;
        try {
            _db.transact([&](Transaction& tx) {
                int already = 0;
                std::string who = owner;
                int version = m.version;
                tx.session() << "SELECT COUNT(*) FROM schema_migrations WHERE owner = ? AND version = ?",
                    use(who), use(version), into(already), now;
                if (already)
                    return;
                for (const auto& sql : m.statements)
                    tx.session() << _db.translate(sql), now;
                if (m.apply)
                    m.apply(tx);
                std::string description = m.description.substr(0, 255);
                Poco::Int64 at = static_cast<Poco::Int64>(std::time(nullptr));
                tx.session() << "INSERT INTO schema_migrations (owner, version, description, applied_at)"
                                " VALUES (?, ?, ?, ?)",
                    use(who), use(version), use(description), use(at), now;
            });
        } catch (const std::exception& e) {
            throw std::runtime_error(owner + " migration " + std::to_string(m.version) + " (" + m.description
                + ") failed: " + describeError(e));
        }
        ++ran;
    }
    return ran;
}

} // namespace clinic
