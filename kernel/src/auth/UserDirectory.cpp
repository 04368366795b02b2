#include "auth/UserDirectory.h"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

const char* kColumns = "SELECT id, username, role, password_hash, active, patient_id, doctor_id, created_at,"
                       " updated_at FROM users";

User userAt(const Poco::Data::RecordSet& rs, std::size_t row)
{
    User u;
    u.id = rs.value(0, row).convert<Poco::Int64>();
    u.username = rs.value(1, row).convert<std::string>();
    u.role = rs.value(2, row).convert<std::string>();
    u.passwordHash = rs.value(3, row).convert<std::string>();
    u.active = rs.value(4, row).convert<int>() != 0;
    if (!rs.isNull(5, row))
        u.patientId = rs.value(5, row).convert<Poco::Int64>();
    if (!rs.isNull(6, row))
        u.doctorId = rs.value(6, row).convert<Poco::Int64>();
    u.createdAt = rs.value(7, row).convert<Poco::Int64>();
    u.updatedAt = rs.value(8, row).convert<Poco::Int64>();
    return u;
}

Poco::Nullable<Poco::Int64> nullable(const std::optional<Poco::Int64>& v)
{
    return v ? Poco::Nullable<Poco::Int64>(*v) : Poco::Nullable<Poco::Int64>();
}

} // namespace

Poco::Int64 UserDirectory::insert(Transaction& tx, const Database& db, const User& user)
{
    std::string username = user.username, role = user.role, hash = user.passwordHash;
    int active = user.active ? 1 : 0;
    Poco::Nullable<Poco::Int64> patient = nullable(user.patientId), doctor = nullable(user.doctorId);
    Poco::Int64 created = user.createdAt, updated = user.updatedAt;
    try {
        tx.session() << "INSERT INTO users (username, role, password_hash, active, patient_id, doctor_id,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            use(username), use(role), use(hash), use(active), use(patient), use(doctor), use(created),
            use(updated), now;
    } catch (const std::exception& e) {
        if (db.isUniqueViolation(e))
            throw UsernameTaken(username);
        throw;
    }
    Poco::Int64 id = 0;
    tx.session() << "SELECT id FROM users WHERE username = ?", use(username), into(id), now;
    return id;
}

std::optional<User> UserDirectory::findById(Poco::Data::Session& session, Poco::Int64 id)
{
    Poco::Data::Statement select(session);
    select << std::string(kColumns) + " WHERE id = ?", use(id), now;
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0)
        return std::nullopt;
    return userAt(rs, 0);
}

std::vector<User> UserDirectory::list(Poco::Data::Session& session, Poco::Int64 afterId, int limit)
{
    Poco::Int64 fetch = limit;
    Poco::Data::Statement select(session);
    select << std::string(kColumns) + " WHERE id > ? ORDER BY id LIMIT ?", use(afterId), use(fetch), now;
    Poco::Data::RecordSet rs(select);
    std::vector<User> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row)
        out.push_back(userAt(rs, row));
    return out;
}

void UserDirectory::update(Transaction& tx, const User& user)
{
    std::string role = user.role, hash = user.passwordHash;
    int active = user.active ? 1 : 0;
    Poco::Nullable<Poco::Int64> patient = nullable(user.patientId), doctor = nullable(user.doctorId);
    Poco::Int64 updated = user.updatedAt, id = user.id;
    tx.session() << "UPDATE users SET role = ?, password_hash = ?, active = ?, patient_id = ?, doctor_id = ?,"
                    " updated_at = ? WHERE id = ?",
        use(role), use(hash), use(active), use(patient), use(doctor), use(updated), use(id), now;
}

std::optional<User> UserDirectory::lockById(Transaction& tx, Poco::Int64 id)
{
    Poco::Data::Statement select(tx.session());
    select << std::string(kColumns) + " WHERE id = ?" + (tx.dialect() == Dialect::MySQL ? " FOR UPDATE" : ""),
        use(id), now;
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0)
        return std::nullopt;
    return userAt(rs, 0);
}

Poco::Int64 UserDirectory::otherActiveAdmins(Transaction& tx, Poco::Int64 exceptId)
{
    if (tx.dialect() == Dialect::MySQL) {
        std::vector<Poco::Int64> locked;
        tx.session() << "SELECT id FROM users WHERE role = 'admin' AND active = 1 FOR UPDATE", into(locked),
            now;
    }
    Poco::Int64 count = 0;
    tx.session() << "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1 AND id <> ?",
        use(exceptId), into(count), now;
    return count;
}

} // namespace clinic
