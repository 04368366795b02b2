#pragma once

#include <vector>

#include "clinic/Migration.h"

namespace clinic {

/// The kernel schema steps for sessions, refresh tokens, login failures and
/// the audit trail: kernel migration versions 3 to 7.
std::vector<Migration> identityMigrations();

} // namespace clinic
