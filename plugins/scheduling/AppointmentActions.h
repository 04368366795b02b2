#pragma once

#include <memory>

#include "Appointments.h"
#include "clinic/scheduling/AppointmentActions.h"

namespace scheduling {

/// scheduling.appointment_actions.v1 over the appointment book's own handlers.
std::shared_ptr<clinic::scheduling::AppointmentActions> makeAppointmentActions(
    std::shared_ptr<AppointmentBook::Impl> book);

} // namespace scheduling
