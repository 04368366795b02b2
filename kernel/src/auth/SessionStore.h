#pragma once

#include <optional>
#include <string>

#include <Poco/Types.h>

#include "clinic/Database.h"
#include "clinic/Host.h"

namespace clinic {

/// A login's session (its refresh-token family) and its first refresh token.
struct IssuedSession {
    std::string sessionId;
    std::string refreshToken;
};

/// What presenting a refresh token did.
struct RefreshResult {
    enum class Outcome {
        Rotated, ///< the token was spent and refreshToken is its successor
        Malformed, ///< not a token this daemon issues
        Unknown, ///< well-formed, but its family is unknown or already revoked
        Expired, ///< unused but past its expiry
        Inactive, ///< the account was deactivated (the session is revoked now)
        Reused, ///< spent or forged within a live family: the family is revoked now
    };
    Outcome outcome = Outcome::Malformed;
    std::string sessionId;
    Poco::Int64 userId = 0;
    std::string refreshToken;
};

/// Sessions and their refresh tokens (kernel migrations 3 and 4). A refresh
/// token is "<session id>.<32 random bytes, base64url>"; only its SHA-256 is
/// stored. Naming the family in the token lets a forged or replayed token of
/// a live family revoke that family.
class SessionStore {
public:
    SessionStore(const Clock& clock, Poco::Int64 refreshTtlSeconds);

    /// A new session for userId with its first refresh token.
    IssuedSession open(Transaction& tx, Poco::Int64 userId);

    /// Spends a refresh token and issues its successor, or says why not.
    /// Revocations it decides on are written in tx, so commit tx even when
    /// the outcome is not Rotated.
    RefreshResult rotate(Transaction& tx, const std::string& presented);

    /// Revokes one session; false if it was not live.
    bool revoke(Transaction& tx, const std::string& sessionId, const std::string& reason);

    /// Revokes every live session of a user; returns how many.
    std::size_t revokeAllOf(Transaction& tx, Poco::Int64 userId, const std::string& reason);

    /// The caller behind a live session of an active user, in one indexed
    /// query (sessions by primary key joined to users by primary key), so a
    /// logout, deactivation or role change counts from the next request.
    std::optional<Caller> caller(
        Poco::Data::Session& session, const std::string& sessionId, Poco::Int64 userId);

    /// SHA-256 of text as 64 lower-case hex digits.
    static std::string sha256Hex(const std::string& text);
    /// n random bytes, base64url without padding.
    static std::string randomToken(std::size_t bytes);

private:
    Poco::Int64 nowSeconds() const;
    std::string issue(Transaction& tx, const std::string& sessionId, Poco::Int64 at);

    const Clock& _clock;
    Poco::Int64 _refreshTtl;
};

} // namespace clinic
