#pragma once

#include <exception>

#include "clinic/Http.h"

namespace clinic {

/// What a failed database call says about the database itself, as opposed
/// to the request: the server cannot be reached, or the disk under the
/// database (or the documents beside it) has no room left.
enum class DatabaseFault { None, Unavailable, StorageFull };

/// Reads the fault from an exception of POCO's SQLite or MySQL connector, a
/// file write, or the kernel's own answers. None for anything else (a
/// constraint, a bad statement): those stay the caller's business.
DatabaseFault databaseFaultOf(const std::exception& e);

/// The answer for a fault: 503 DATABASE_UNAVAILABLE or 503 STORAGE_FULL,
/// each with Retry-After. The request did nothing and may be sent again.
HttpError faultAnswer(DatabaseFault fault);

} // namespace clinic
