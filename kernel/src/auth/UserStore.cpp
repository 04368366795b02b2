#include "auth/UserStore.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <Poco/String.h>

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

std::optional<Poco::Int64> optionalInt(const Poco::Data::RecordSet& rs, std::size_t column)
{
    if (rs.isNull(column, 0))
        return std::nullopt;
    return rs.value(column, 0).convert<Poco::Int64>();
}

Poco::Nullable<Poco::Int64> nullable(const std::optional<Poco::Int64>& v)
{
    return v ? Poco::Nullable<Poco::Int64>(*v) : Poco::Nullable<Poco::Int64>();
}

} // namespace

UserStore::UserStore(Database& db, PasswordHasher hasher)
    : _db(db)
    , _hasher(hasher)
{
}

const std::vector<std::string>& UserStore::roles()
{
    static const std::vector<std::string> all = {"admin", "doctor", "nurse", "receptionist", "patient"};
    return all;
}

std::string UserStore::usernameProblem(const std::string& username)
{
    if (username.size() < 3 || username.size() > 64)
        return "a username has 3 to 64 characters";
    for (char c : username) {
        const auto u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || c == '.' || c == '_' || c == '-') || u >= 0x80)
            return "a username has only a-z, 0-9, '.', '_' and '-'";
    }
    return "";
}

User UserStore::create(const std::string& username, const std::string& role, const std::string& password,
    std::optional<Poco::Int64> patientId, std::optional<Poco::Int64> doctorId)
{
    if (auto problem = usernameProblem(username); !problem.empty())
        throw std::invalid_argument("username \"" + username + "\": " + problem);
    const std::string name = Poco::toLower(username);
    if (std::find(roles().begin(), roles().end(), role) == roles().end())
        throw std::invalid_argument(
            "role \"" + role + "\" is not one of admin, doctor, nurse, receptionist, patient");
    if (patientId && role != "patient")
        throw std::invalid_argument("a patient id belongs only to an account with role patient");
    if (doctorId && role != "doctor")
        throw std::invalid_argument("a doctor id belongs only to an account with role doctor");
    if ((patientId && *patientId <= 0) || (doctorId && *doctorId <= 0))
        throw std::invalid_argument("ids are positive whole numbers");
    if (auto problem = PasswordHasher::policyProblem(name, password); !problem.empty())
        throw std::invalid_argument("weak password: " + problem);

    User user;
    user.username = name;
    user.role = role;
    // Hash before the transaction: scrypt takes tens of milliseconds and must
    // not hold the SQLite write lock meanwhile.
    user.passwordHash = _hasher.hash(password);
    user.patientId = patientId;
    user.doctorId = doctorId;
    user.createdAt = user.updatedAt = static_cast<Poco::Int64>(std::time(nullptr));
    try {
        _db.transact([&](Transaction& tx) {
            Poco::Nullable<Poco::Int64> patient = nullable(patientId);
            Poco::Nullable<Poco::Int64> doctor = nullable(doctorId);
            tx.session() << "INSERT INTO users (username, role, password_hash, active, patient_id, doctor_id,"
                            " created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                use(user.username), use(user.role), use(user.passwordHash), use(patient), use(doctor),
                use(user.createdAt), use(user.updatedAt), now;
            tx.session() << "SELECT id FROM users WHERE username = ?", use(user.username), into(user.id), now;
        });
    } catch (const std::exception& e) {
        if (_db.isUniqueViolation(e))
            throw UsernameTaken(name);
        throw;
    }
    return user;
}

std::optional<User> UserStore::findByUsername(const std::string& username)
{
    std::string name = Poco::toLower(username);
    Poco::Data::Session session = _db.session();
    Poco::Data::Statement select(session);
    select << "SELECT id, username, role, password_hash, active, patient_id, doctor_id, created_at,"
              " updated_at FROM users WHERE username = ?",
        use(name), now;
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0)
        return std::nullopt;
    User user;
    user.id = rs.value(0, 0).convert<Poco::Int64>();
    user.username = rs.value(1, 0).convert<std::string>();
    user.role = rs.value(2, 0).convert<std::string>();
    user.passwordHash = rs.value(3, 0).convert<std::string>();
    user.active = rs.value(4, 0).convert<int>() != 0;
    user.patientId = optionalInt(rs, 5);
    user.doctorId = optionalInt(rs, 6);
    user.createdAt = rs.value(7, 0).convert<Poco::Int64>();
    user.updatedAt = rs.value(8, 0).convert<Poco::Int64>();
    return user;
}

} // namespace clinic
