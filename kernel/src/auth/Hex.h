#pragma once

#include <cstddef>
#include <string>

namespace clinic {

/// Lower-case hexadecimal of n bytes: key files, token hashes, session ids.
inline std::string hexEncode(const unsigned char* data, std::size_t n)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 0xF];
    }
    return out;
}

} // namespace clinic
