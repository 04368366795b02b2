#pragma once

#include "clinic/Http.h"
#include "events/ChangeFeed.h"

namespace clinic {

class IdentityService;

/// GET /api/v1/events/stream: the caller's live view of the change log.
Route eventStreamRoute(ChangeFeed& feed, IdentityService& identity);

} // namespace clinic
