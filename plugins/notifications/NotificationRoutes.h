#pragma once

#include "Dispatcher.h"
#include "clinic/Host.h"

namespace notifications {

/// The caller's in-app inbox, their preferences, and the admin's outbox.
void addInboxRoutes(clinic::Host& host);
void addOutboxRoutes(clinic::Host& host, Dispatcher& dispatcher);

} // namespace notifications
