#include "auth/SessionStore.h"
#include "auth/Hex.h"
#include "clinic/Time.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

using namespace Poco::Data::Keywords;

namespace clinic {

namespace {

std::string randomBytes(std::size_t n)
{
    std::string raw(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("no randomness from OpenSSL");
    return raw;
}

bool isHex(const std::string& s)
{
    return std::all_of(
        s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool isBase64Url(const std::string& s)
{
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_';
    });
}

constexpr std::size_t kSessionIdHex = 32; // 16 random bytes
constexpr std::size_t kSecretChars = 43; // 32 random bytes, base64url, no padding

} // namespace

SessionStore::SessionStore(const Clock& clock, Poco::Int64 refreshTtlSeconds)
    : _clock(clock)
    , _refreshTtl(refreshTtlSeconds)
{
}

std::string SessionStore::sha256Hex(const std::string& text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return hexEncode(digest, length);
}

std::string SessionStore::randomToken(std::size_t bytes)
{
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::string raw = randomBytes(bytes);
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char c : raw) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += alphabet[(buffer >> bits) & 0x3F];
        }
    }
    if (bits > 0)
        out += alphabet[(buffer << (6 - bits)) & 0x3F];
    return out;
}

Poco::Int64 SessionStore::nowSeconds() const
{
    return clinic::nowSeconds(_clock);
}

std::string SessionStore::issue(Transaction& tx, const std::string& sessionId, Poco::Int64 at)
{
    const std::string token = sessionId + "." + randomToken(32);
    std::string hash = sha256Hex(token);
    std::string sid = sessionId;
    Poco::Int64 created = at;
    Poco::Int64 expires = at + _refreshTtl;
    tx.session() << "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)"
                    " VALUES (?, ?, ?, ?)",
        use(sid), use(hash), use(created), use(expires), now;
    return token;
}

IssuedSession SessionStore::open(Transaction& tx, Poco::Int64 userId)
{
    const std::string raw = randomBytes(16);
    IssuedSession out;
    out.sessionId = hexEncode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    Poco::Int64 at = nowSeconds();
    tx.session() << "INSERT INTO sessions (id, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)",
        use(out.sessionId), use(userId), use(at), use(at), now;
    out.refreshToken = issue(tx, out.sessionId, at);
    return out;
}

RefreshResult SessionStore::rotate(Transaction& tx, const std::string& presented)
{
    RefreshResult result;
    const auto dot = presented.find('.');
    if (dot != kSessionIdHex || presented.size() != kSessionIdHex + 1 + kSecretChars)
        return result;
    const std::string sid = presented.substr(0, dot);
    if (!isHex(sid) || !isBase64Url(presented.substr(dot + 1)))
        return result;
    result.sessionId = sid;

    const Poco::Int64 at = nowSeconds();
    std::string sessionId = sid;
    Poco::Data::Statement family(tx.session());
    family << "SELECT s.user_id, s.revoked_at, u.active FROM sessions s JOIN users u ON u.id = s.user_id"
              " WHERE s.id = ?",
        use(sessionId), now;
    Poco::Data::RecordSet fs(family);
    if (fs.rowCount() == 0 || !fs.isNull(1, 0)) {
        result.outcome = RefreshResult::Outcome::Unknown;
        return result;
    }
    result.userId = fs.value(0, 0).convert<Poco::Int64>();
    if (fs.value(2, 0).convert<int>() == 0) {
        revoke(tx, sid, "user_inactive");
        result.outcome = RefreshResult::Outcome::Inactive;
        return result;
    }

    std::string hash = sha256Hex(presented);
    Poco::Data::Statement find(tx.session());
    find << "SELECT id, session_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?", use(hash),
        now;
    Poco::Data::RecordSet ts(find);
    // A well-formed token naming a live family that is not the family's
    // current one: a replayed (spent) or forged token. Either way someone
    // other than the legitimate holder may have it, so the family ends.
    if (ts.rowCount() == 0 || ts.value(1, 0).convert<std::string>() != sid || !ts.isNull(3, 0)) {
        revoke(tx, sid, "refresh_reuse");
        result.outcome = RefreshResult::Outcome::Reused;
        return result;
    }
    if (ts.value(2, 0).convert<Poco::Int64>() <= at) {
        result.outcome = RefreshResult::Outcome::Expired;
        return result;
    }
    Poco::Int64 tokenId = ts.value(0, 0).convert<Poco::Int64>();
    Poco::Int64 usedAt = at;
    // The guard on used_at makes the spend single-use even when two requests
    // race with the same token on MariaDB: only one UPDATE changes the row.
    Poco::Data::Statement spend(tx.session());
    spend << "UPDATE refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL", use(usedAt),
        use(tokenId);
    const std::size_t changed = spend.execute();
    if (changed != 1) {
        revoke(tx, sid, "refresh_reuse");
        result.outcome = RefreshResult::Outcome::Reused;
        return result;
    }
    tx.session() << "UPDATE sessions SET last_used_at = ? WHERE id = ?", use(usedAt), use(sessionId), now;
    result.refreshToken = issue(tx, sid, at);
    result.outcome = RefreshResult::Outcome::Rotated;
    return result;
}

bool SessionStore::revoke(Transaction& tx, const std::string& sessionId, const std::string& reason)
{
    Poco::Int64 at = nowSeconds();
    std::string sid = sessionId;
    std::string why = reason;
    Poco::Data::Statement update(tx.session());
    update << "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
        use(at), use(why), use(sid);
    return update.execute() == 1;
}

std::size_t SessionStore::revokeAllOf(Transaction& tx, Poco::Int64 userId, const std::string& reason)
{
    Poco::Int64 at = nowSeconds();
    std::string why = reason;
    Poco::Data::Statement update(tx.session());
    update
        << "UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
        use(at), use(why), use(userId);
    return update.execute();
}

std::optional<Caller> SessionStore::caller(
    Poco::Data::Session& session, const std::string& sessionId, Poco::Int64 userId)
{
    std::string sid = sessionId;
    Poco::Int64 uid = userId;
    Poco::Data::Statement select(session);
    select << "SELECT u.username, u.role, u.patient_id, u.doctor_id FROM sessions s"
              " JOIN users u ON u.id = s.user_id"
              " WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND u.active = 1",
        use(sid), use(uid), now;
    Poco::Data::RecordSet rs(select);
    if (rs.rowCount() == 0)
        return std::nullopt;
    Caller c;
    c.authenticated = true;
    c.userId = userId;
    c.username = rs.value(0, 0).convert<std::string>();
    c.role = rs.value(1, 0).convert<std::string>();
    c.patientId = rs.isNull(2, 0) ? 0 : rs.value(2, 0).convert<Poco::Int64>();
    c.doctorId = rs.isNull(3, 0) ? 0 : rs.value(3, 0).convert<Poco::Int64>();
    return c;
}

} // namespace clinic
