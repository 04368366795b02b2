// Migration 1 is sound; migration 2 writes a row and then runs invalid SQL,
// so it must fail naming version 2 and leave neither its row nor its record.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class BadMigrationPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_bad_migration"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<clinic::Migration> migrations() const override
    {
        return {
            {1, "broken_bad_migration marks table",
                {"CREATE TABLE broken_bad_migration_marks (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(40) "
                 "NOT NULL)${TABLE}"}},
            {2, "broken_bad_migration half a step",
                {"INSERT INTO broken_bad_migration_marks (id, note) VALUES (2, 'from migration 2')",
                    "THIS IS NOT SQL AT ALL"}},
        };
    }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(BadMigrationPlugin)
