// db.url comes from configuration files and the environment: any string
// must parse or be refused with std::invalid_argument, and redact() must
// never leave the password of a parsed URL in its output.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "db/DbUrl.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string url(reinterpret_cast<const char*>(data), size);
    try {
        auto parsed = clinic::DbUrl::parse(url);
        parsed.connectionString();
        if (parsed.dialect == clinic::Dialect::MySQL && parsed.password.size() >= 4) {
            std::string shown = clinic::DbUrl::redact(url);
            std::string rawPassword = url.substr(url.find("://") + 3);
            rawPassword = rawPassword.substr(0, rawPassword.rfind('@'));
            rawPassword = rawPassword.substr(rawPassword.find(':') + 1);
            // A password that is the mask itself cannot be told from it.
            if (rawPassword != "****" && shown.find(":" + rawPassword + "@") != std::string::npos)
                __builtin_trap();
        }
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
