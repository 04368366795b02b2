#include "auth/PasswordHasher.h"
#include "auth/PasswordPolicy.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace clinic {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kKeyBytes = 32;
constexpr std::uint64_t kMinMaxMem = 64ull * 1024 * 1024;
// A stored hash names its own cost; this ceiling keeps a tampered row from
// making one login allocate gigabytes.
constexpr std::uint64_t kMemoryCeiling = 256ull * 1024 * 1024;

/// What EVP_PBE_scrypt allocates: V (128*r*N) plus B (128*r*p), with slack.
std::uint64_t memoryFor(const PasswordHasher::Params& p)
{
    const std::uint64_t n = 1ull << p.logN;
    return 128ull * p.r * (n + 2) + 128ull * p.r * p.p + 1024 * 1024;
}

bool acceptable(const PasswordHasher::Params& p)
{
    return p.logN >= 10 && p.logN <= 22 && p.r >= 1 && p.r <= 32 && p.p >= 1 && p.p <= 16
        && memoryFor(p) <= kMemoryCeiling;
}

std::string base64(const std::string& bytes)
{
    std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
    int n = EVP_EncodeBlock(
        out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    std::string text(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
    while (!text.empty() && text.back() == '=')
        text.pop_back();
    return text;
}

/// Decodes unpadded standard base64; nothing unless the text is exactly what
/// base64() would have written for the result (no padding, no stray bits).
std::optional<std::string> unbase64(const std::string& text)
{
    if (text.empty() || text.size() % 4 == 1)
        return std::nullopt;
    for (char c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/')
            return std::nullopt;
    std::string padded = text;
    const std::size_t pad = (4 - text.size() % 4) % 4;
    padded.append(pad, '=');
    std::vector<unsigned char> out(padded.size());
    int n = EVP_DecodeBlock(
        out.data(), reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
    if (n < 0 || static_cast<std::size_t>(n) < pad)
        return std::nullopt;
    std::string bytes(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n) - pad);
    if (base64(bytes) != text)
        return std::nullopt;
    return bytes;
}

bool parseInt(const std::string& text, int& out)
{
    if (text.empty() || text.size() > 3 || !std::all_of(text.begin(), text.end(), ::isdigit))
        return false;
    return Poco::NumberParser::tryParse(text, out);
}

/// The password as code points, or nothing if it is not valid UTF-8.
std::optional<std::vector<std::string>> codePoints(const std::string& text)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > text.size())
            return std::nullopt;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80)
                return std::nullopt;
        out.push_back(text.substr(i, len));
        i += len;
    }
    return out;
}

} // namespace

PasswordHasher::PasswordHasher(Params params)
    : _params(params)
{
    if (!acceptable(_params))
        throw std::invalid_argument("scrypt parameters out of range");
}

std::string PasswordHasher::derive(
    const std::string& password, const std::string& salt, const Params& params, std::size_t keyLength)
{
    std::string key(keyLength, '\0');
    const std::uint64_t maxmem = std::max(kMinMaxMem, memoryFor(params));
    if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
            salt.size(), 1ull << params.logN, static_cast<std::uint64_t>(params.r),
            static_cast<std::uint64_t>(params.p), maxmem, reinterpret_cast<unsigned char*>(key.data()),
            key.size())
        != 1)
        throw std::runtime_error("scrypt failed (OpenSSL EVP_PBE_scrypt)");
    return key;
}

std::string PasswordHasher::hash(const std::string& password) const
{
    std::string salt(kSaltBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
        throw std::runtime_error("no random bytes for a password salt (OpenSSL RAND_bytes)");
    const std::string key = derive(password, salt, _params, kKeyBytes);
    return "$scrypt$ln=" + std::to_string(_params.logN) + ",r=" + std::to_string(_params.r)
        + ",p=" + std::to_string(_params.p) + "$" + base64(salt) + "$" + base64(key);
}

std::optional<PasswordHasher::Parsed> PasswordHasher::parse(const std::string& encoded)
{
    // "", "scrypt", "ln=..,r=..,p=..", salt, key
    Poco::StringTokenizer parts(encoded, "$");
    if (parts.count() != 5 || !parts[0].empty() || parts[1] != "scrypt")
        return std::nullopt;
    Parsed out;
    Poco::StringTokenizer fields(parts[2], ",");
    if (fields.count() != 3)
        return std::nullopt;
    const char* names[] = {"ln=", "r=", "p="};
    int* targets[] = {&out.params.logN, &out.params.r, &out.params.p};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string& f = fields[i];
        const std::string name = names[i];
        if (f.compare(0, name.size(), name) != 0 || !parseInt(f.substr(name.size()), *targets[i]))
            return std::nullopt;
    }
    if (!acceptable(out.params))
        return std::nullopt;
    auto salt = unbase64(parts[3]);
    auto key = unbase64(parts[4]);
    // The key must be exactly as long as we make them: scrypt's output is
    // prefix-stable, so a truncated stored key would still verify, against
    // fewer and fewer bytes.
    if (!salt || !key || salt->size() < 8 || salt->size() > 64 || key->size() != kKeyBytes)
        return std::nullopt;
    out.salt = *salt;
    out.key = *key;
    return out;
}

bool PasswordHasher::verify(const std::string& password, const std::string& encoded) const
{
    auto parsed = parse(encoded);
    if (!parsed)
        return false;
    std::string candidate;
    try {
        candidate = derive(password, parsed->salt, parsed->params, parsed->key.size());
    } catch (const std::exception&) {
        return false;
    }
    return CRYPTO_memcmp(candidate.data(), parsed->key.data(), candidate.size()) == 0;
}

bool PasswordHasher::needsRehash(const std::string& encoded) const
{
    auto parsed = parse(encoded);
    return !parsed || !(parsed->params == _params) || parsed->salt.size() != kSaltBytes
        || parsed->key.size() != kKeyBytes;
}

std::string PasswordHasher::policyProblem(
    const std::string& username, const std::string& password, const std::vector<std::string>& names)
{
    if (password.size() > 1024)
        return "the password is longer than 1024 bytes";
    if (password.find('\0') != std::string::npos)
        return "the password contains a NUL character";
    auto chars = codePoints(password);
    if (!chars)
        return "the password is not valid UTF-8";
    if (chars->size() < 10)
        return "the password is shorter than 10 characters";
    if (!username.empty() && Poco::icompare(password, username) == 0)
        return "the password is the username";
    if (std::all_of(chars->begin(), chars->end(), [&](const std::string& c) { return c == chars->front(); }))
        return "the password is one character repeated";
    std::vector<std::string> ownWords = names;
    ownWords.push_back(username);
    return PasswordPolicy::guessable(password, ownWords);
}

} // namespace clinic
