#pragma once

// The implementation behind scheduling.appointments.v1 (the interface is in
// include/clinic/scheduling/Appointments.h).

#include <memory>

#include "clinic/Database.h"
#include "clinic/Doctors.h"
#include "clinic/scheduling/Appointments.h"
#include "clinic/scheduling/Doctors.h"

namespace scheduling {

/// The kernel's check that a doctor account links to a real doctor.
std::shared_ptr<clinic::DoctorAccounts> makeDoctorAccounts();

/// Reads scheduling_appointments for other plugins.
std::shared_ptr<clinic::scheduling::AppointmentLookup> makeAppointmentLookup(clinic::Database& db);

/// Reads scheduling_doctors and their locations for other plugins
/// (scheduling.doctors.v1).
std::shared_ptr<clinic::scheduling::DoctorDirectory> makeDoctorDirectory(clinic::Database& db);

} // namespace scheduling
