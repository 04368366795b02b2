#pragma once

#include <cstdint>
#include <string>

#include "clinic/Events.h"
#include "clinic/Http.h"
#include "clinic/ServiceInterface.h"

namespace clinic {

/// Narrows the live stream (GET /api/v1/events/stream) below what the event
/// audiences allow, for the plugin that knows who may see a patient's data
/// (the records plugin: a doctor limited to their own patients by
/// access.doctors_own_patients_only). Published under kStreamNarrowingService.
///
/// Asked on the change feed's thread for each row about a patient (patientId
/// > 0) that a staff caller's role may already see; false holds that row back
/// from that caller's stream. A patient's stream is never asked (it carries
/// their own rows only). Keep it quick: every open staff stream waits on it.
class CLINIC_SERVICE_INTERFACE StreamNarrowing {
public:
    virtual ~StreamNarrowing() = default;
    virtual bool mayCarry(const Caller& caller, const std::string& type, EventAudience audience,
        std::int64_t patientId) const = 0;
};

/// The ServiceRegistry name under which StreamNarrowing is published.
inline constexpr const char* kStreamNarrowingService = "kernel.stream_narrowing.v1";

} // namespace clinic
