#pragma once

#include <map>
#include <string>
#include <vector>

#include "clinic/Migration.h"
#include "db/DatabaseImpl.h"

namespace clinic {

/// Applies versioned migrations per owner (a plugin or "kernel") and records
/// them in schema_migrations. Idempotent; safe for two daemons starting
/// against one MariaDB (a named lock serialises them).
class Migrator {
public:
    explicit Migrator(DatabaseImpl& db);

    /// Creates schema_migrations if it is missing.
    void prepare();

    /// Applies every migration of owner newer than what the database has, in
    /// order, each in its own transaction with its record. Returns how many
    /// ran. Throws naming the owner and version on failure, and if the
    /// database is at a version this build does not know (a downgrade).
    int apply(const std::string& owner, const std::vector<Migration>& migrations);

    /// Throws naming both versions if the database holds a schema of owner
    /// newer than the last of migrations (a downgrade), as apply() does.
    void refuseNewer(const std::string& owner, const std::vector<Migration>& migrations);

    /// Versions the database holds for owner: 0 when none.
    int currentVersion(const std::string& owner);

    /// Migrations of owner not yet applied (for --check-config).
    int pending(const std::string& owner, const std::vector<Migration>& migrations);

    /// Every owner's current version.
    std::map<std::string, int> versions();

private:
    DatabaseImpl& _db;
};

} // namespace clinic
