#pragma once

#include <set>
#include <string>

namespace clinic::roles {

/// The role sets routes are declared with, named once so two plugins cannot
/// drift apart on who "staff" is. Pass them to Access::only() or RouteTable.

/// Only administrators.
inline const std::set<std::string> admin = {"admin"};
/// Every role, patients included (object-level checks still apply).
inline const std::set<std::string> everyone = {"admin", "doctor", "nurse", "receptionist", "patient"};
/// Everyone who works at the clinic.
inline const std::set<std::string> staff = {"admin", "doctor", "nurse", "receptionist"};
/// Those who record clinical data: vitals, lab results, documents, a visit's completion.
inline const std::set<std::string> clinical = {"admin", "doctor", "nurse"};
/// Those who write encounters and letters.
inline const std::set<std::string> physicians = {"admin", "doctor"};
/// Reception: time off, reports.
inline const std::set<std::string> frontDesk = {"admin", "receptionist"};

} // namespace clinic::roles
