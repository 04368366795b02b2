// The SMS gateway's webhook is open to the network and trusted only by its
// HMAC: for any body, secret and signature header, a signature is accepted
// exactly when it is sha256=<the HMAC in hex> (either case), and phone
// numbers from the body normalise to digits with at most a leading +.

#include <cstdint>
#include <string>

#include <openssl/hmac.h>

#include "SmsWebhook.h"

namespace {

void check(bool ok)
{
    if (!ok)
        __builtin_trap();
}

std::string hmacHex(const std::string& secret, const std::string& body, bool upper)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[mac[i] >> 4];
        out += digits[mac[i] & 15];
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using notifications::validSignature;
    const std::string input(reinterpret_cast<const char*>(data), size);
    // secret \n signature header \n body
    const auto first = input.find('\n');
    const auto second = first == std::string::npos ? first : input.find('\n', first + 1);
    const std::string secret = input.substr(0, first);
    const std::string header = first == std::string::npos ? "" : input.substr(first + 1, second - first - 1);
    const std::string body = second == std::string::npos ? "" : input.substr(second + 1);

    const std::string right = hmacHex(secret, body, false);
    const bool accepted = validSignature(secret, body, header);
    check(accepted == (!secret.empty() && header.size() == 71 && header.rfind("sha256=", 0) == 0 && [&] {
        for (std::size_t i = 0; i < 64; ++i)
            if (std::tolower(static_cast<unsigned char>(header[7 + i])) != right[i])
                return false;
        return true;
    }()));
    if (!secret.empty()) {
        check(validSignature(secret, body, "sha256=" + right));
        check(validSignature(secret, body, "sha256=" + hmacHex(secret, body, true)));
        check(!validSignature(secret + "x", body, "sha256=" + right));
        check(!validSignature(secret, body + "x", "sha256=" + right));
    } else {
        check(!validSignature(secret, body, "sha256=" + right));
    }

    const std::string phone = notifications::normalizePhone(body);
    for (std::size_t i = 0; i < phone.size(); ++i)
        check((phone[i] >= '0' && phone[i] <= '9') || (phone[i] == '+' && i == 0));
    check(notifications::normalizePhone(phone) == phone);
    return 0;
}
