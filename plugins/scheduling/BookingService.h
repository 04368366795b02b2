#pragma once

#include <memory>

#include "Appointments.h"

namespace scheduling {

/// Publishes scheduling.booking.v1 over the appointment book's own booking
/// handler.
void publishBooking(clinic::Host& host, std::shared_ptr<AppointmentBook::Impl> book);

} // namespace scheduling
