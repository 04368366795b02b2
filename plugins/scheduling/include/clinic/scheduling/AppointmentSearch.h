#pragma once

// The scheduling plugin's appointment search for other plugins (a FHIR
// Appointment search): across patients, by doctor, status and time, paged by
// a cursor that stays stable under inserts. Include this header and nothing
// else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clinic/ServiceInterface.h"
#include "clinic/scheduling/Appointments.h"

namespace clinic::scheduling {

/// Appointments in start order (then id); every condition set must hold.
struct AppointmentFilter {
    std::optional<std::int64_t> id;
    std::optional<std::int64_t> patientId;
    std::optional<std::int64_t> doctorId;
    std::optional<std::int64_t> locationId;
    /// Any of these statuses (pending, confirmed, ...); empty: any status.
    /// At most kMaxFilterStatuses.
    std::vector<std::string> statuses;
    std::optional<std::int64_t> fromUtc; ///< start_utc >= fromUtc
    std::optional<std::int64_t> toUtc; ///< start_utc < toUtc
    std::optional<AppointmentCursor> after;
    /// 1 to kMaxAppointmentPage (larger is capped).
    std::size_t limit = 50;
};

inline constexpr std::size_t kMaxFilterStatuses = 6;

/// Published by the scheduling plugin as kAppointmentSearchService. Reads on
/// a session of its own; the caller checks who may see each appointment's
/// patient and audits the read.
class CLINIC_SERVICE_INTERFACE AppointmentSearch {
public:
    virtual ~AppointmentSearch() = default;

    /// Throws std::invalid_argument on a limit of 0 or too many statuses.
    virtual AppointmentPage search(const AppointmentFilter& filter) = 0;
};

/// The ServiceRegistry name of AppointmentSearch, version 1 of its interface.
inline constexpr const char* kAppointmentSearchService = "scheduling.appointment_search.v1";

} // namespace clinic::scheduling
