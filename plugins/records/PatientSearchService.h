#pragma once

#include <memory>

#include "clinic/Database.h"
#include "clinic/records/PatientSearch.h"

namespace records {

/// records.patient_search.v1 over records_patients.
std::shared_ptr<clinic::records::PatientSearch> makePatientSearch(clinic::Database& db);

} // namespace records
