#pragma once

// Instants as the API and the database hold them: whole seconds since
// 1970-01-01T00:00:00Z, written as RFC 3339. One definition, so every
// plugin answers and accepts exactly the same text.

#include <cstdint>
#include <optional>
#include <string>

namespace clinic {

class Clock;

/// The clock's now in whole seconds since the epoch (truncated).
std::int64_t nowSeconds(const Clock& clock);

/// RFC 3339 in UTC with a Z and no fraction, e.g. 2027-03-28T01:00:00Z.
std::string formatRfc3339(std::int64_t seconds);

/// An RFC 3339 instant as seconds since the epoch, or nothing. Strict:
/// YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|+HH:MM|-HH:MM), an offset is required,
/// the date must exist and be 1970 or later, no leap second (:60), offsets
/// up to 23:59. 'T' and 'Z' may be lower case. A fraction is dropped.
std::optional<std::int64_t> parseRfc3339(const std::string& text);

} // namespace clinic
