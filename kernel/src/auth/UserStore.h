#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Types.h>

#include "auth/PasswordHasher.h"
#include "clinic/Database.h"

namespace clinic {

/// One account as stored in users.
struct User {
    Poco::Int64 id = 0;
    std::string username;
    std::string role;
    std::string passwordHash;
    bool active = true;
    std::optional<Poco::Int64> patientId;
    std::optional<Poco::Int64> doctorId;
    Poco::Int64 createdAt = 0;
    Poco::Int64 updatedAt = 0;
};

/// A username that already belongs to another account (HTTP: 409 CONFLICT).
class UsernameTaken : public std::runtime_error {
public:
    explicit UsernameTaken(const std::string& username)
        : std::runtime_error("username " + username + " is already taken")
    {
    }
};

/// The users table (kernel migration 2): creates and finds accounts. Invalid
/// input throws std::invalid_argument with a reason fit for the operator.
class UserStore {
public:
    explicit UserStore(Database& db, PasswordHasher hasher = PasswordHasher());

    /// admin, doctor, nurse, receptionist, patient.
    static const std::vector<std::string>& roles();

    /// Why username is not acceptable, or "": 3 to 64 of a-z 0-9 . _ -
    /// (upper case is accepted and folded to lower case).
    static std::string usernameProblem(const std::string& username);

    /// Creates an active account and returns it. The username is stored in
    /// lower case; patientId only for role patient, doctorId only for doctor.
    /// Throws std::invalid_argument (bad username, role, weak password) or
    /// UsernameTaken.
    User create(const std::string& username, const std::string& role, const std::string& password,
        std::optional<Poco::Int64> patientId = std::nullopt,
        std::optional<Poco::Int64> doctorId = std::nullopt);

    /// The account with this username (case-insensitive), if any.
    std::optional<User> findByUsername(const std::string& username);

private:
    Database& _db;
    PasswordHasher _hasher;
};

} // namespace clinic
