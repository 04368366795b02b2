#pragma once

// The services that let another plugin present the clinic in a standard of
// its own (FHIR R4): the whole directory, free slots and an appointment
// search (include/clinic/scheduling/ClinicDirectory.h, FreeSlots.h,
// AppointmentSearch.h).

#include <functional>

#include "clinic/Host.h"

namespace scheduling {

/// Publishes scheduling.directory.v1, scheduling.availability.v1 (over the
/// availability handler, so slots cannot differ from the API's) and
/// scheduling.appointment_search.v1.
void publishExchangeServices(
    clinic::Host& host, std::function<clinic::Response(clinic::Request&)> availability);

} // namespace scheduling
