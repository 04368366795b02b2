#pragma once

#include <optional>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/Types.h>

#include "auth/UserStore.h"
#include "clinic/Database.h"

namespace clinic {

/// The administrative reads and writes of users that run inside a caller's
/// transaction, so an account change and its audit row commit together.
/// (UserStore creates accounts for clinicctl in a transaction of its own.)
class UserDirectory {
public:
    /// Inserts user (hash already computed) and returns its id. Throws
    /// UsernameTaken when the username exists.
    static Poco::Int64 insert(Transaction& tx, const Database& db, const User& user);

    static std::optional<User> findById(Poco::Data::Session& session, Poco::Int64 id);

    /// Users with id > afterId, by id, at most limit.
    static std::vector<User> list(Poco::Data::Session& session, Poco::Int64 afterId, int limit);

    /// Writes role, password hash, active flag and links of an existing user.
    static void update(Transaction& tx, const User& user);

    /// Active admins other than exceptId.
    static Poco::Int64 otherActiveAdmins(Transaction& tx, Poco::Int64 exceptId);
};

} // namespace clinic
