#include "auth/LoginThrottle.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/String.h>

#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace clinic {

LoginThrottle::LoginThrottle(const Clock& clock, int maxPerUser, int maxPerAddress, int windowSeconds)
    : _clock(clock)
    , _maxPerUser(maxPerUser)
    , _maxPerAddress(maxPerAddress)
    , _window(windowSeconds)
{
}

std::string LoginThrottle::userSubject(const std::string& username)
{
    // The column holds 128 characters; usernames are at most 64, and a
    // longer attempted name is cut so it still counts.
    return ("user:" + Poco::toLower(username)).substr(0, 128);
}

std::string LoginThrottle::addressSubject(const std::string& address)
{
    return ("addr:" + address).substr(0, 128);
}

Poco::Int64 LoginThrottle::nowSeconds() const
{
    return clinic::nowSeconds(_clock);
}

Poco::Int64 LoginThrottle::retryAfter(
    Poco::Data::Session& session, const std::string& subject, int limit, Poco::Int64 at)
{
    std::string s = subject;
    Poco::Int64 since = at - _window;
    Poco::Int64 fetch = limit;
    std::vector<Poco::Int64> times;
    // Served by the (subject, at) index.
    session << "SELECT at FROM login_failures WHERE subject = ? AND at > ? ORDER BY at DESC LIMIT ?", use(s),
        use(since), use(fetch), into(times), now;
    if (static_cast<int>(times.size()) < limit)
        return 0;
    // Blocked until the limit-th most recent failure leaves the window.
    return std::max<Poco::Int64>(1, times.back() + _window - at + 1);
}

Poco::Int64 LoginThrottle::retryAfter(
    Poco::Data::Session& session, const std::string& username, const std::string& address)
{
    const Poco::Int64 at = nowSeconds();
    return std::max(retryAfter(session, userSubject(username), _maxPerUser, at),
        retryAfter(session, addressSubject(address), _maxPerAddress, at));
}

void LoginThrottle::recordFailure(Transaction& tx, const std::string& username, const std::string& address)
{
    Poco::Int64 at = nowSeconds();
    Poco::Int64 expired = at - _window;
    for (std::string subject : {userSubject(username), addressSubject(address)}) {
        tx.session() << "INSERT INTO login_failures (subject, at) VALUES (?, ?)", use(subject), use(at), now;
        tx.session() << "DELETE FROM login_failures WHERE subject = ? AND at <= ?", use(subject),
            use(expired), now;
    }
}

} // namespace clinic
