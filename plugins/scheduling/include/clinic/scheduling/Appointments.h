#pragma once

// The scheduling plugin's public service: a read-only lookup of
// appointments for other plugins ("is this a completed visit of this
// patient?"), so none of them reads scheduling's tables. Include this header
// and nothing else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clinic/Database.h"
#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// One appointment as other plugins see it. Instants are UTC seconds since
/// the epoch; the appointment takes [startUtc, endUtc).
struct AppointmentSummary {
    std::int64_t id = 0;
    std::int64_t patientId = 0;
    std::int64_t doctorId = 0;
    std::int64_t serviceId = 0;
    std::int64_t locationId = 0;
    /// pending, confirmed, checked_in, completed, cancelled or no_show.
    std::string status;
    std::int64_t startUtc = 0;
    std::int64_t endUtc = 0;
};

/// Where a page of appointments ends: pass it back as
/// AppointmentQuery::after for the next page.
struct AppointmentCursor {
    std::int64_t startUtc = 0;
    std::int64_t id = 0;
};

/// One patient's appointments, in start order (then id), optionally of one
/// status and starting in [fromUtc, toUtc).
struct AppointmentQuery {
    std::int64_t patientId = 0;
    std::optional<std::string> status;
    std::optional<std::int64_t> fromUtc;
    std::optional<std::int64_t> toUtc;
    std::optional<AppointmentCursor> after;
    /// At most this many, 1 to kMaxAppointmentPage (larger is capped).
    std::size_t limit = 50;
};

inline constexpr std::size_t kMaxAppointmentPage = 500;

struct AppointmentPage {
    std::vector<AppointmentSummary> items;
    /// Set when there may be more: the cursor of the last item.
    std::optional<AppointmentCursor> next;
};

/// Published by the scheduling plugin as kAppointmentLookupService. Absent
/// when the scheduling plugin is not loaded or failed: find() then answers
/// nullptr. Each call reads either on a session of its own or, given one,
/// in the caller's transaction (so a caller's check and write agree). The
/// caller audits the read of patient data, as with any other read.
class CLINIC_SERVICE_INTERFACE AppointmentLookup {
public:
    virtual ~AppointmentLookup() = default;

    /// The appointment with this id, if there is one.
    virtual std::optional<AppointmentSummary> byId(std::int64_t appointmentId) = 0;
    virtual std::optional<AppointmentSummary> byId(Transaction& tx, std::int64_t appointmentId) = 0;

    /// A page of one patient's appointments. Throws std::invalid_argument on
    /// a patientId <= 0 or a limit of 0.
    virtual AppointmentPage byPatient(const AppointmentQuery& query) = 0;
    virtual AppointmentPage byPatient(Transaction& tx, const AppointmentQuery& query) = 0;
};

/// The ServiceRegistry name of AppointmentLookup, version 1 of its interface.
inline constexpr const char* kAppointmentLookupService = "scheduling.appointments.v1";

} // namespace clinic::scheduling
