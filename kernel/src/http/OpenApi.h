#pragma once

#include <string>

#include <Poco/JSON/Object.h>

#include "http/RouterImpl.h"

namespace clinic {

/// The OpenAPI 3 document of every route the daemon serves, generated from
/// the route declarations themselves, so it cannot drift from what is
/// served: paths with their path and query parameters, request bodies and
/// success answers from each route's Contract, who may call each operation
/// (security plus x-roles), one tag per owner, and the shared error envelope.
Poco::JSON::Object::Ptr openApiDocument(const RouterImpl& router, const std::string& version);

} // namespace clinic
