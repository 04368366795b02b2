#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include "audit/AuditLog.h"
#include "auth/LoginThrottle.h"
#include "auth/PasswordHasher.h"
#include "auth/RequestRateLimit.h"
#include "auth/SessionStore.h"
#include "auth/TokenSigner.h"
#include "auth/UserStore.h"
#include "clinic/Host.h"

namespace clinic {

/// Who the caller is: logins, token refresh and logout, self-registration,
/// the users API and the audit API, and the authenticator HttpService runs
/// before every non-public route.
class IdentityService {
public:
    IdentityService(Database& db, const Clock& clock, const Poco::Util::AbstractConfiguration& config,
        AuditLog& audit, ServiceRegistry& services, const std::string& dataDir);

    /// Registers the auth, users and audit routes through add.
    void addRoutes(const std::function<void(Route)>& add);

    /// Fills request.caller from its bearer token or throws HttpError 401
    /// (429 when the token's per-minute budget is spent).
    void authenticate(Request& request);

    /// The claims of an authenticated request's bearer token (an event
    /// stream outlives its request and ends when the token expires).
    std::optional<AccessClaims> bearerClaims(const Request& request) const;
    /// True while the session is unrevoked and its user active.
    bool sessionLive(const std::string& sessionId, Poco::Int64 userId);

private:
    Response login(Request& request);
    Response refresh(Request& request);
    Response logout(Request& request);
    Response me(Request& request);
    Response registerPatient(Request& request);
    Response listUsers(Request& request);
    Response createUser(Request& request);
    Response getUser(Request& request);
    Response patchUser(Request& request);
    Response listAudit(Request& request);

    /// The token pair and user a login, refresh or registration answers with.
    Response tokens(
        const Caller& user, const std::string& sessionId, const std::string& refreshToken, int status);
    Poco::Int64 nowSeconds() const;

    Database& _db;
    const Clock& _clock;
    const Poco::Util::AbstractConfiguration& _config;
    AuditLog& _audit;
    ServiceRegistry& _services;
    Poco::Logger& _log;
    TokenSigner _signer;
    PasswordHasher _hasher;
    UserStore _users;
    SessionStore _sessions;
    LoginThrottle _throttle;
    RequestRateLimit _rateLimit;
    Poco::Int64 _accessTtl;
    /// A hash of a random password: verified against when the username does
    /// not exist, so the answer takes as long as for a real account.
    const std::string& decoyHash();
    /// A patient link must name an existing record, and no link may be
    /// another account's already (409).
    void checkLinks(Transaction& tx, Poco::Int64 userId, const std::optional<Poco::Int64>& patientId,
        const std::optional<Poco::Int64>& doctorId);
    std::once_flag _decoyOnce;
    std::string _decoyHash;
};

} // namespace clinic
