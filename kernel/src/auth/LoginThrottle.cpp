#include "auth/LoginThrottle.h"

#include <algorithm>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/String.h>
#include <openssl/sha.h>

#include "auth/Hex.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace clinic {

LoginThrottle::LoginThrottle(const Clock& clock, int allowance, int windowSeconds)
    : _clock(clock)
    , _allowance(allowance)
    , _window(windowSeconds)
{
}

std::string LoginThrottle::pairSubject(const std::string& username, const std::string& address)
{
    const std::string key = Poco::toLower(username) + "\n" + address;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    return "pair:" + hexEncode(digest, sizeof(digest));
}

Poco::Int64 LoginThrottle::nowSeconds() const
{
    return clinic::nowSeconds(_clock);
}

LoginThrottle::Attempt LoginThrottle::begin(
    Database& db, const std::string& username, const std::string& address)
{
    const Poco::Int64 at = nowSeconds();
    Poco::Int64 expired = at - _window;
    std::string subject = pairSubject(username, address);
    Attempt attempt;
    // Committed before anything is read, so a parallel attempt of the same
    // pair sees this one (on both backends) however long its hashing takes.
    db.transact([&](Transaction& tx) {
        Poco::Int64 stamp = at;
        tx.session() << "INSERT INTO login_failures (subject, at) VALUES (?, ?)", use(subject), use(stamp),
            now;
        attempt.rowId = tx.lastInsertId();
        tx.session() << "DELETE FROM login_failures WHERE subject = ? AND at <= ?", use(subject),
            use(expired), now;
    });

    // The attempts before this one still in the window, newest first; the
    // delay never needs more of them than fit a doubling up to the window.
    std::vector<Poco::Int64> earlier;
    {
        Poco::Data::Session session = db.session();
        Poco::Int64 mine = attempt.rowId, fetch = _allowance + 40;
        session << "SELECT at FROM login_failures WHERE subject = ? AND at > ? AND id < ? ORDER BY id DESC "
                   "LIMIT ?",
            use(subject), use(expired), use(mine), use(fetch), into(earlier), now;
    }
    const int over = static_cast<int>(earlier.size()) - _allowance;
    if (over < 0)
        return attempt;
    const Poco::Int64 delay = std::min<Poco::Int64>(_window, Poco::Int64(2) << std::min(over, 30));
    const Poco::Int64 wait = earlier.front() + delay - at;
    if (wait <= 0)
        return attempt;

    // Throttled. One marker row per burst (keyed by the failure it waits
    // on) decides which refusal is the first, so the audit gets one row per
    // burst rather than one per refused attempt.
    std::string burst = "burst:" + subject.substr(5);
    Poco::Int64 waitsOn = earlier.front(), marker = 0, before = 0;
    db.transact([&](Transaction& tx) {
        Poco::Int64 id = attempt.rowId;
        tx.session() << "DELETE FROM login_failures WHERE id = ?", use(id), now;
        tx.session() << "INSERT INTO login_failures (subject, at) VALUES (?, ?)", use(burst), use(waitsOn),
            now;
        marker = tx.lastInsertId();
        tx.session() << "DELETE FROM login_failures WHERE subject = ? AND at <= ?", use(burst), use(expired),
            now;
    });
    {
        Poco::Data::Session session = db.session();
        session << "SELECT COUNT(*) FROM login_failures WHERE subject = ? AND at = ? AND id < ?", use(burst),
            use(waitsOn), use(marker), into(before), now;
    }
    attempt.rowId = 0;
    attempt.retryAfter = wait;
    attempt.firstThrottled = before == 0;
    return attempt;
}

void LoginThrottle::succeeded(Transaction& tx, Poco::Int64 rowId)
{
    if (rowId <= 0)
        return;
    tx.session() << "DELETE FROM login_failures WHERE id = ?", use(rowId), now;
}

} // namespace clinic
