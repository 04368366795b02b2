#pragma once

// The implementation behind scheduling.locations.v1 (the interface is in
// include/clinic/scheduling/Locations.h).

#include <memory>

#include "clinic/Database.h"
#include "clinic/scheduling/Locations.h"

namespace scheduling {

/// Reads scheduling_locations for other plugins.
std::shared_ptr<clinic::scheduling::LocationDirectory> makeLocationDirectory(clinic::Database& db);

} // namespace scheduling
