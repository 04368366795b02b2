#pragma once

// The clinic's drug catalogue: medications a prescription item names, loaded
// from a CSV file (clinicctl import-drugs, the demo clinic's drugs.csv) and
// searched by name or active substance.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"

namespace prescriptions {

/// One catalogue entry. code is the clinic's (or the national) product code
/// and the key an import matches rows on.
struct Drug {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::string substance;
    std::string atc; ///< ATC code, level 5 (J01CA04)
    std::string form;
    std::string strength;
    std::string route;

    Poco::JSON::Object::Ptr toJson() const;
    bool sameAs(const Drug& other) const;
};

/// A CSV file that does not read as a catalogue: every bad line, by number.
struct CatalogueProblems {
    std::vector<std::string> lines; ///< "line 7: atc \"J1\" is not an ATC code"
};

/// What an import changed.
struct ImportReport {
    int added = 0;
    int updated = 0;
    int unchanged = 0;
};

/// The header a catalogue CSV starts with.
inline constexpr const char* kCatalogueHeader = "code,name,substance,atc,form,strength,route";

/// Reads a catalogue CSV (RFC 4180: commas, "quoted, fields" with "" for a
/// quote, UTF-8). Returns the drugs, or fills problems and returns nothing.
std::vector<Drug> parseCatalogue(const std::string& text, CatalogueProblems& problems);

/// Whether text is a level-5 ATC code (a letter, two digits, two letters, two digits).
bool isAtcCode(const std::string& text);

class DrugCatalogue {
public:
    DrugCatalogue(clinic::Database& db, std::function<std::int64_t()> now)
        : _db(db)
        , _now(std::move(now))
    {
    }

    /// Adds new codes and updates changed ones, in one transaction.
    ImportReport import(const std::vector<Drug>& drugs);

    /// Name or substance starting with q (case-insensitive), in id order after `after`.
    std::vector<Drug> search(const std::string& q, std::int64_t after, std::size_t limit);

    /// The entries with these ids (missing ids are left out).
    std::map<std::int64_t, Drug> byIds(const std::vector<std::int64_t>& ids);

private:
    clinic::Database& _db;
    std::function<std::int64_t()> _now;
};

} // namespace prescriptions
