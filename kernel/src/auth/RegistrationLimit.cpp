#include "auth/RegistrationLimit.h"

#include <algorithm>
#include <vector>

#include <Poco/Data/Session.h>
#include <openssl/sha.h>

#include "auth/Hex.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

constexpr Poco::Int64 kHour = 3600;

} // namespace

RegistrationLimit::RegistrationLimit(const Clock& clock, int perHour)
    : _clock(clock)
    , _perHour(perHour)
{
}

Poco::Int64 RegistrationLimit::take(Database& db, const std::string& address)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(address.data()), address.size(), digest);
    std::string subject = "register:" + hexEncode(digest, sizeof(digest));
    Poco::Int64 at = nowSeconds(_clock), expired = at - kHour, mine = 0;
    db.transact([&](Transaction& tx) {
        tx.session() << "INSERT INTO login_failures (subject, at) VALUES (?, ?)", use(subject), use(at), now;
        mine = tx.lastInsertId();
        tx.session() << "DELETE FROM login_failures WHERE subject = ? AND at <= ?", use(subject),
            use(expired), now;
    });
    std::vector<Poco::Int64> earlier;
    {
        Poco::Data::Session session = db.session();
        Poco::Int64 fetch = _perHour;
        session << "SELECT at FROM login_failures WHERE subject = ? AND at > ? AND id < ? ORDER BY id DESC "
                   "LIMIT ?",
            use(subject), use(expired), use(mine), use(fetch), into(earlier), now;
    }
    if (static_cast<int>(earlier.size()) < _perHour)
        return 0;
    db.transact(
        [&](Transaction& tx) { tx.session() << "DELETE FROM login_failures WHERE id = ?", use(mine), now; });
    // Free again when the oldest of the last perHour leaves the hour.
    return std::max<Poco::Int64>(1, earlier.back() + kHour - at + 1);
}

} // namespace clinic
