#pragma once

#include <string>

#include <Poco/Types.h>

#include "clinic/Database.h"
#include "clinic/Host.h"

namespace clinic {

/// Slows failed logins down per username and client address pair. The
/// attempts are rows in login_failures, not memory, so several daemons on
/// one database share the count and a restart forgets nothing.
///
/// Keyed by the pair, a stranger guessing at an account from their own
/// address slows only their own guesses: the account's owner, from another
/// address, is not held up, and guessing many usernames from one address
/// (every user behind one NAT or proxy shares it) slows no other user.
/// Past the allowance each attempt must wait for a delay that doubles with
/// every further failure up to the window, never a hard lock.
///
/// An attempt counts from before its password is hashed: its row is written
/// first and kept unless the password turns out right, so parallel wrong
/// passwords see each other and all but the allowance are refused.
class LoginThrottle {
public:
    LoginThrottle(const Clock& clock, int allowance, int windowSeconds);

    /// What begin decided.
    struct Attempt {
        Poco::Int64 rowId = 0; ///< the attempt's row; 0 when throttled
        Poco::Int64 retryAfter = 0; ///< seconds to wait; 0 when it may go on
        bool firstThrottled = false; ///< the first refusal since the last evaluated failure
    };

    /// Counts an attempt for this username from this address and says whether
    /// it may be evaluated now. A throttled attempt leaves no row behind (it
    /// was never evaluated, so it neither lengthens the delay nor counts).
    Attempt begin(Database& db, const std::string& username, const std::string& address);

    /// The password was right: the attempt was no failure.
    void succeeded(Transaction& tx, Poco::Int64 rowId);

    /// The key the pair's attempts are stored under: a hash, so the table
    /// holds neither mistyped usernames nor addresses.
    static std::string pairSubject(const std::string& username, const std::string& address);

private:
    Poco::Int64 nowSeconds() const;

    const Clock& _clock;
    int _allowance;
    Poco::Int64 _window;
};

} // namespace clinic
