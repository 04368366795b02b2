#pragma once

// The scheduling plugin's free slots for other plugins (a FHIR Slot view):
// what GET /api/v1/availability answers, by the same code. Include this
// header and nothing else of the scheduling plugin
// (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <string>
#include <vector>

#include "clinic/Http.h"
#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// One free slot: [startUtc, endUtc), UTC seconds since the epoch.
struct FreeSlot {
    std::int64_t startUtc = 0;
    std::int64_t endUtc = 0;
    std::int64_t doctorId = 0;
    std::int64_t locationId = 0;
};

/// One doctor's slots for one service over local dates [fromDate, toDate]
/// ("YYYY-MM-DD", both inclusive, at most 62 days).
struct SlotQuery {
    std::int64_t doctorId = 0;
    std::int64_t serviceId = 0;
    std::string fromDate;
    std::string toDate;
};

/// Published by the scheduling plugin as kFreeSlotsService.
class CLINIC_SERVICE_INTERFACE FreeSlots {
public:
    virtual ~FreeSlots() = default;

    /// The free slots, sorted by start, as the caller of by would get them
    /// from the API (a patient's own rules shape them). Bad input throws the
    /// clinic::HttpError the API answers (422 VALIDATION_FAILED naming
    /// doctor_id, service_id, from or to).
    virtual std::vector<FreeSlot> find(const clinic::Request& by, const SlotQuery& query) = 0;
};

/// The ServiceRegistry name of FreeSlots, version 1 of its interface.
inline constexpr const char* kFreeSlotsService = "scheduling.availability.v1";

} // namespace clinic::scheduling
