#pragma once

#include <optional>
#include <string>

#include <Poco/JWT/Signer.h>
#include <Poco/Types.h>

namespace clinic {

/// What a verified access token says. The role is informative only: the
/// caller's role is read from the database on every request.
struct AccessClaims {
    Poco::Int64 userId = 0;
    std::string sessionId;
    std::string role;
    Poco::Int64 issuedAt = 0;
    Poco::Int64 expiresAt = 0;
};

/// HS256 access tokens. The key comes from auth.jwt_secret_file, or is made
/// once in data.dir/jwt.key (mode 0600); a key file readable by group or
/// others is refused, since anyone who reads it can mint an admin token.
class TokenSigner {
public:
    explicit TokenSigner(std::string key);

    /// Reads (or, when secretFile is empty, creates) the signing key.
    /// Throws std::runtime_error naming the file and the problem.
    static TokenSigner fromConfig(const std::string& secretFile, const std::string& dataDir);

    /// A signed token with integer iat and exp (seconds since the epoch).
    std::string sign(const AccessClaims& claims) const;

    /// The claims of a token whose signature, algorithm, shape and expiry
    /// (against nowSeconds) check out; nothing otherwise.
    std::optional<AccessClaims> verify(const std::string& token, Poco::Int64 nowSeconds) const;

private:
    /// True if presented is the canonical base64url HMAC-SHA256 of
    /// signingInput, compared in constant time.
    bool signatureMatches(const std::string& signingInput, const std::string& presented) const;

    std::string _key;
    Poco::JWT::Signer _signer;
};

} // namespace clinic
