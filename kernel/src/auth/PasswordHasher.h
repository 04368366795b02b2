#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clinic {

/// Password hashes with scrypt (OpenSSL 3 EVP_PBE_scrypt), stored with their
/// parameters so the cost can be raised later without invalidating old hashes:
///   $scrypt$ln=15,r=8,p=1$<salt base64>$<key base64>
/// (standard base64 alphabet, no padding; 16-byte random salt, 32-byte key).
class PasswordHasher {
public:
    /// scrypt cost: N = 2^logN, block size r, parallelism p.
    struct Params {
        int logN = 15;
        int r = 8;
        int p = 1;
        bool operator==(const Params& o) const { return logN == o.logN && r == o.r && p == o.p; }
    };

    /// A hash as stored, split into its parts.
    struct Parsed {
        Params params;
        std::string salt;
        std::string key;
    };

    PasswordHasher() = default;
    explicit PasswordHasher(Params params);

    /// A new encoded hash of password with a fresh random salt.
    /// Throws std::runtime_error if OpenSSL fails.
    std::string hash(const std::string& password) const;

    /// True if password matches encoded. A malformed, tampered or absurdly
    /// expensive encoding is simply not a match (never throws on bad input).
    bool verify(const std::string& password, const std::string& encoded) const;

    /// True if encoded was made with other parameters than this hasher's (or
    /// cannot be read): rehash it at the next successful login.
    bool needsRehash(const std::string& encoded) const;

    /// Splits an encoded hash; nothing if it is not one this build accepts.
    static std::optional<Parsed> parse(const std::string& encoded);

    /// Why password is not acceptable for username (and the person's names),
    /// or "" if it is: at least 10 characters, at most 1024 bytes, not the
    /// username, not one character repeated, and not guessable (PasswordPolicy:
    /// common, a keyboard walk, or built from the username or names).
    static std::string policyProblem(
        const std::string& username, const std::string& password, const std::vector<std::string>& names = {});

    const Params& params() const { return _params; }

private:
    static std::string derive(
        const std::string& password, const std::string& salt, const Params& params, std::size_t keyLength);

    Params _params;
};

} // namespace clinic
