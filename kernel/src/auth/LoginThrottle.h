#pragma once

#include <string>

#include <Poco/Data/Session.h>
#include <Poco/Types.h>

#include "clinic/Database.h"
#include "clinic/Host.h"

namespace clinic {

/// Limits failed logins per username and per client address within a
/// sliding window. The failures are rows in login_failures, not memory, so
/// several daemons on one database share the count and a restart forgets
/// nothing. A successful login deletes nothing: the evidence stays until it
/// ages out of the window.
class LoginThrottle {
public:
    LoginThrottle(const Clock& clock, int maxPerUser, int maxPerAddress, int windowSeconds);

    /// Seconds until another attempt for this username from this address may
    /// be tried, or 0 if it may be tried now.
    Poco::Int64 retryAfter(
        Poco::Data::Session& session, const std::string& username, const std::string& address);

    /// Counts one failed attempt against the username and the address, and
    /// drops their failures that have left the window.
    void recordFailure(Transaction& tx, const std::string& username, const std::string& address);

    static std::string userSubject(const std::string& username);
    static std::string addressSubject(const std::string& address);

private:
    Poco::Int64 retryAfter(
        Poco::Data::Session& session, const std::string& subject, int limit, Poco::Int64 at);
    Poco::Int64 nowSeconds() const;

    const Clock& _clock;
    int _maxPerUser;
    int _maxPerAddress;
    Poco::Int64 _window;
};

} // namespace clinic
