#pragma once

// Roles held at one location. An account has one role everywhere (users.role);
// a grant adds "this user may act as ROLE at LOCATION" on top of it, e.g. a
// doctor of one clinic of a group who also works at a second. The kernel owns
// the grants (identity decides who may act as what); the location is an
// opaque id to it, named by whichever plugin keeps locations.

#include <cstdint>
#include <string>
#include <vector>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic {

/// One location-scoped grant. Instants: seconds since the epoch, UTC.
struct RoleGrant {
    std::int64_t id = 0;
    std::int64_t userId = 0;
    std::string role;
    std::int64_t locationId = 0;
    std::int64_t grantedBy = 0; ///< the admin's user id
    std::int64_t grantedAt = 0;
};

/// Published by the kernel itself as kRoleGrantsService, before any plugin
/// starts: find() answers it whatever plugins are loaded.
class CLINIC_SERVICE_INTERFACE RoleGrants {
public:
    virtual ~RoleGrants() = default;

    /// Records the grant in the caller's transaction, so it commits exactly
    /// with the decision that made it. False (nothing written) when the user
    /// already holds that role at that location.
    virtual bool grant(Transaction& tx, const RoleGrant& grant) = 0;

    /// Whether the user holds role at the location by a grant.
    virtual bool holds(std::int64_t userId, const std::string& role, std::int64_t locationId) = 0;
    /// The locations where the user holds role by a grant, ascending.
    virtual std::vector<std::int64_t> locationsOf(std::int64_t userId, const std::string& role) = 0;
    /// The users who hold role at the location by a grant, ascending.
    virtual std::vector<std::int64_t> holdersAt(const std::string& role, std::int64_t locationId) = 0;
    /// Every grant of the user, oldest first.
    virtual std::vector<RoleGrant> grantsOf(std::int64_t userId) = 0;
};

/// The ServiceRegistry name of RoleGrants, version 1 of its interface.
inline constexpr const char* kRoleGrantsService = "kernel.role_grants.v1";

} // namespace clinic
