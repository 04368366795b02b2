#include "auth/RoleGrantStore.h"

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace clinic {

RoleGrantStore::RoleGrantStore(Database& db)
    : _db(db)
{
}

std::vector<Migration> RoleGrantStore::migrations()
{
    // The unique key makes a grant held once, however many approvals race.
    return {Migration(1, "role grants",
        {"CREATE TABLE role_grants (id ${PK}, user_id BIGINT NOT NULL, role VARCHAR(16) NOT NULL,"
         " location_id BIGINT NOT NULL, granted_by BIGINT NOT NULL, granted_at BIGINT NOT NULL)${TABLE}",
            "CREATE UNIQUE INDEX role_grants_held ON role_grants (user_id, role, location_id)",
            "CREATE INDEX role_grants_location ON role_grants (role, location_id)"})};
}

bool RoleGrantStore::grant(Transaction& tx, const RoleGrant& g)
{
    Poco::Int64 user = g.userId, location = g.locationId, by = g.grantedBy, at = g.grantedAt;
    std::string role = g.role;
    Poco::Int64 held = 0;
    tx.session() << "SELECT COUNT(*) FROM role_grants WHERE user_id = ? AND role = ? AND location_id = ?",
        use(user), use(role), use(location), into(held), now;
    if (held > 0)
        return false;
    tx.session() << "INSERT INTO role_grants (user_id, role, location_id, granted_by, granted_at)"
                    " VALUES (?, ?, ?, ?, ?)",
        use(user), use(role), use(location), use(by), use(at), now;
    return true;
}

bool RoleGrantStore::holds(std::int64_t userId, const std::string& role, std::int64_t locationId)
{
    Poco::Int64 user = userId, location = locationId, held = 0;
    std::string r = role;
    auto s = _db.session();
    s << "SELECT COUNT(*) FROM role_grants WHERE user_id = ? AND role = ? AND location_id = ?", use(user),
        use(r), use(location), into(held), now;
    return held > 0;
}

std::vector<std::int64_t> RoleGrantStore::locationsOf(std::int64_t userId, const std::string& role)
{
    Poco::Int64 user = userId;
    std::string r = role;
    std::vector<Poco::Int64> rows;
    auto s = _db.session();
    s << "SELECT location_id FROM role_grants WHERE user_id = ? AND role = ? ORDER BY location_id", use(user),
        use(r), into(rows), now;
    return {rows.begin(), rows.end()};
}

std::vector<std::int64_t> RoleGrantStore::holdersAt(const std::string& role, std::int64_t locationId)
{
    Poco::Int64 location = locationId;
    std::string r = role;
    std::vector<Poco::Int64> rows;
    auto s = _db.session();
    s << "SELECT user_id FROM role_grants WHERE role = ? AND location_id = ? ORDER BY user_id", use(r),
        use(location), into(rows), now;
    return {rows.begin(), rows.end()};
}

std::vector<RoleGrant> RoleGrantStore::grantsOf(std::int64_t userId)
{
    Poco::Int64 user = userId;
    std::vector<Poco::Tuple<Poco::Int64, std::string, Poco::Int64, Poco::Int64, Poco::Int64>> rows;
    auto s = _db.session();
    s << "SELECT id, role, location_id, granted_by, granted_at FROM role_grants WHERE user_id = ? ORDER BY "
         "id",
        use(user), into(rows), now;
    std::vector<RoleGrant> out;
    for (const auto& r : rows)
        out.push_back({r.get<0>(), userId, r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>()});
    return out;
}

} // namespace clinic
