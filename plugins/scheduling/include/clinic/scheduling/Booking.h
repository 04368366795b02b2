#pragma once

// The scheduling plugin's booking for other plugins (a FHIR Appointment
// create, an integration): the very path of POST /api/v1/appointments, so the
// occupancy key, before_book, the audit row, events and reminders are the
// same. Include this header and nothing else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <string>

#include "clinic/Http.h"
#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// One appointment to book, as POST /api/v1/appointments takes it.
struct BookingRequest {
    std::int64_t patientId = 0;
    std::int64_t doctorId = 0;
    std::int64_t serviceId = 0;
    /// RFC 3339 with an offset, e.g. "2026-12-01T09:30:00+02:00".
    std::string start;
    std::string notes;
};

/// Published by the scheduling plugin as kAppointmentBookingService.
class CLINIC_SERVICE_INTERFACE AppointmentBooking {
public:
    virtual ~AppointmentBooking() = default;

    /// Books as the caller of by (its caller, request id, client address and
    /// access reason are what the checks and the audit see) and answers the
    /// new appointment's id. Refusals throw the clinic::HttpError the API
    /// answers: 409 SLOT_TAKEN, 422 RULE_REJECTED or VALIDATION_FAILED
    /// (details.fields), 404 for another patient, 403 for a role that may
    /// not book.
    virtual std::int64_t book(const clinic::Request& by, const BookingRequest& booking) = 0;
};

/// The ServiceRegistry name of AppointmentBooking, version 1 of its interface.
inline constexpr const char* kAppointmentBookingService = "scheduling.booking.v1";

} // namespace clinic::scheduling
