#pragma once

#include <string>

#include <Poco/JSON/Object.h>

#include "http/RouterImpl.h"

namespace clinic {

/// The OpenAPI 3 document of every route the daemon serves, generated from
/// the route declarations themselves (method, pattern, access, summary), so
/// it cannot drift from what is served: paths with their path parameters,
/// who may call each operation (security plus x-roles), and the shared
/// error envelope. Request and response bodies are described in prose by
/// each summary; per-field schemas are the plugins' to add.
Poco::JSON::Object::Ptr openApiDocument(const RouterImpl& router, const std::string& version);

} // namespace clinic
