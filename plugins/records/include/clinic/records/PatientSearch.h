#pragma once

// The records plugin's patient search for other plugins (a FHIR Patient
// search): by id, national id, name and birth date, in id order, a page at a
// time. Include this header and nothing else of the records plugin
// (CMake: clinic_plugin_uses(<your plugin> records)).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clinic/ServiceInterface.h"

namespace clinic::records {

/// One patient's demographics and contact (no clinical data).
struct PatientCard {
    std::int64_t id = 0;
    std::string firstName, lastName;
    std::string birthDate; ///< YYYY-MM-DD
    std::string sex; ///< female, male, other or unknown
    std::string phone, email; ///< empty when not recorded
    std::string nationalId; ///< empty when not recorded
    std::string language; ///< en or ro
};

/// Every condition set must hold.
struct PatientFilter {
    std::optional<std::int64_t> id;
    /// Exactly this national id.
    std::optional<std::string> nationalId;
    /// A prefix of the first or the last name, compared as the API's ?q=
    /// compares names (case and diacritics folded).
    std::optional<std::string> name;
    std::optional<std::string> bornFrom; ///< birth date >= (YYYY-MM-DD)
    std::optional<std::string> bornTo; ///< birth date <= (YYYY-MM-DD)
    std::int64_t afterId = 0; ///< only ids above this (the page cursor)
    std::size_t limit = 50; ///< 1 to kMaxPatientPage (larger is capped)
};

inline constexpr std::size_t kMaxPatientPage = 500;

struct PatientCardPage {
    std::vector<PatientCard> items;
    /// Set when there may be more: pass it as afterId for the next page.
    std::optional<std::int64_t> next;
};

/// Published by the records plugin as kPatientSearchService. Reads on a
/// session of its own; the caller checks who may see each patient and
/// audits the read.
class CLINIC_SERVICE_INTERFACE PatientSearch {
public:
    virtual ~PatientSearch() = default;

    virtual PatientCardPage search(const PatientFilter& filter) = 0;
};

/// The ServiceRegistry name of PatientSearch, version 1 of its interface.
inline constexpr const char* kPatientSearchService = "records.patient_search.v1";

} // namespace clinic::records
