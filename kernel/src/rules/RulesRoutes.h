#pragma once

#include <functional>

#include "clinic/Http.h"
#include "rules/RuleEngineImpl.h"

namespace clinic::rules {

/// GET /api/v1/system/rules and POST /api/v1/system/rules/reload (admin).
/// A rejected reload is 422 RULES_INVALID with details {file, line, error};
/// the generation serving before keeps serving.
void addRulesRoutes(RuleEngineImpl& engine, const std::function<void(Route)>& add);

} // namespace clinic::rules
