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

    /// The user read inside tx with its row locked until tx ends (FOR UPDATE
    /// on MariaDB; SQLite's write transaction holds the whole database), so a
    /// change computed from it cannot overwrite a concurrent one.
    static std::optional<User> lockById(Transaction& tx, Poco::Int64 id);

    /// Active admins other than exceptId. On MariaDB it locks every active
    /// admin row first, so two admins demoting each other at once cannot both
    /// see the other still there.
    static Poco::Int64 otherActiveAdmins(Transaction& tx, Poco::Int64 exceptId);
};

} // namespace clinic
