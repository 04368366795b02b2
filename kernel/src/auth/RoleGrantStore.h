#pragma once

#include <memory>
#include <vector>

#include "clinic/Migration.h"
#include "clinic/RoleGrants.h"

namespace clinic {

/// The kernel's RoleGrants over the role_grants table.
class RoleGrantStore : public RoleGrants {
public:
    explicit RoleGrantStore(Database& db);

    /// The table, versioned under its own owner ("kernel.grants") so it never
    /// races the other kernel tables for a version number.
    static std::vector<Migration> migrations();

    bool grant(Transaction& tx, const RoleGrant& grant) override;
    bool holds(std::int64_t userId, const std::string& role, std::int64_t locationId) override;
    std::vector<std::int64_t> locationsOf(std::int64_t userId, const std::string& role) override;
    std::vector<std::int64_t> holdersAt(const std::string& role, std::int64_t locationId) override;
    std::vector<RoleGrant> grantsOf(std::int64_t userId) override;

private:
    Database& _db;
};

} // namespace clinic
