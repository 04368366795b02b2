#include "auth/TokenSigner.h"
#include "auth/Hex.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <Poco/Crypto/OpenSSLInitializer.h>
#include <Poco/JSON/Object.h>
#include <Poco/JWT/Token.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace clinic {

namespace {

std::string readKeyFile(const std::string& path)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0)
        throw std::runtime_error("signing key " + path + ": " + std::strerror(errno));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw std::runtime_error("signing key " + path
            + " is readable or writable by group or others; chmod 600 it (anyone who reads it can sign"
              " tokens)");
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string key = buffer.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' '))
        key.pop_back();
    if (key.size() < 32)
        throw std::runtime_error("signing key " + path + " is shorter than 32 bytes");
    return key;
}

/// Creates the key file exclusively, so two daemons sharing a data
/// directory cannot each write a different key.
std::string createKeyFile(const std::string& path)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        throw std::runtime_error("cannot make a signing key: no randomness from OpenSSL");
    const std::string key = hexEncode(raw, sizeof(raw));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return readKeyFile(path);
        throw std::runtime_error("cannot create signing key " + path + ": " + std::strerror(errno));
    }
    const std::string line = key + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        throw std::runtime_error("cannot write signing key " + path);
    }
    return key;
}

bool integerClaim(const Poco::JSON::Object& payload, const std::string& name, Poco::Int64& out)
{
    if (!payload.has(name))
        return false;
    Poco::Dynamic::Var v = payload.get(name);
    if (!v.isInteger())
        return false;
    out = v.convert<Poco::Int64>();
    return true;
}

bool stringClaim(const Poco::JSON::Object& payload, const std::string& name, std::string& out)
{
    if (!payload.has(name))
        return false;
    Poco::Dynamic::Var v = payload.get(name);
    if (!v.isString())
        return false;
    out = v.convert<std::string>();
    return !out.empty();
}

std::string base64UrlNoPadding(const unsigned char* data, std::size_t n)
{
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((n * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (n - i == 1) {
        const unsigned v = data[i] << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
    }
    return out;
}

} // namespace

TokenSigner::TokenSigner(std::string key)
    : _key(key)
    , _signer(key)
{
    // Every HS256 sign or verify makes and drops a DigestEngine, whose
    // OpenSSLInitializer counts POCO's OpenSSL users. Left to those alone
    // the count falls to 0 and rises to 1 again on every request, and two
    // requests doing that at once free and reallocate POCO's OpenSSL mutexes
    // under each other (clinicd aborted under concurrent authenticated
    // requests). One initializer held until exit keeps the count above 0.
    static const Poco::Crypto::OpenSSLInitializer keepOpenSslInitialized;
}

TokenSigner TokenSigner::fromConfig(const std::string& secretFile, const std::string& dataDir)
{
    if (!secretFile.empty())
        return TokenSigner(readKeyFile(secretFile));
    const std::string path = dataDir + "/jwt.key";
    struct stat st { };
    if (::stat(path.c_str(), &st) == 0)
        return TokenSigner(readKeyFile(path));
    return TokenSigner(createKeyFile(path));
}

std::string TokenSigner::sign(const AccessClaims& claims) const
{
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setSubject(std::to_string(claims.userId));
    // Integers, not setIssuedAt(): POCO writes a fractional iat.
    token.payload().set("iat", claims.issuedAt);
    token.payload().set("exp", claims.expiresAt);
    token.payload().set("sid", claims.sessionId);
    token.payload().set("role", claims.role);
    return _signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

bool TokenSigner::signatureMatches(const std::string& signingInput, const std::string& presented) const
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    if (!HMAC(EVP_sha256(), _key.data(), static_cast<int>(_key.size()),
            reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size(), mac,
            &macLength))
        return false;
    const std::string expected = base64UrlNoPadding(mac, macLength);
    // The length of an HS256 MAC is public; only its bytes must not leak.
    return presented.size() == expected.size()
        && CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::optional<AccessClaims> TokenSigner::verify(const std::string& jwt, Poco::Int64 nowSeconds) const
{
    if (jwt.empty() || jwt.size() > 4096)
        return std::nullopt;
    // The signature is checked here, not by Poco::JWT::Signer: POCO compares
    // the MAC with operator== (it stops at the first differing byte, so the
    // answer time leaks how much of a forged MAC is right) and decodes
    // base64url loosely (several encodings of one MAC pass). The expected
    // MAC is encoded canonically and compared in constant time.
    const auto lastDot = jwt.rfind('.');
    if (lastDot == std::string::npos || jwt.find('.') == lastDot)
        return std::nullopt;
    if (!signatureMatches(jwt.substr(0, lastDot), jwt.substr(lastDot + 1)))
        return std::nullopt;
    Poco::JWT::Token token;
    try {
        token = jwt;
    } catch (const Poco::Exception&) {
        return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (token.getAlgorithm() != Poco::JWT::Signer::ALGO_HS256)
        return std::nullopt;
    AccessClaims claims;
    const Poco::JSON::Object& payload = token.payload();
    std::string subject;
    if (!stringClaim(payload, "sub", subject) || !stringClaim(payload, "sid", claims.sessionId)
        || !stringClaim(payload, "role", claims.role) || !integerClaim(payload, "iat", claims.issuedAt)
        || !integerClaim(payload, "exp", claims.expiresAt))
        return std::nullopt;
    try {
        std::size_t used = 0;
        claims.userId = std::stoll(subject, &used);
        if (used != subject.size() || claims.userId <= 0)
            return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    // POCO checks only the signature: expiry is ours.
    if (claims.expiresAt <= nowSeconds)
        return std::nullopt;
    return claims;
}

} // namespace clinic
