#pragma once

// The scheduling plugin's second public service: the patient's own answers to
// a reminder (confirm, cancel) for plugins that receive them outside the HTTP
// API, such as an SMS reply. Each goes through the same path as the patient's
// own POST .../confirm or .../cancel: the same status rules, cancel_policy,
// audit, events and notices. Include this header and nothing else of the
// scheduling plugin (CMake: clinic_plugin_uses(<your plugin> scheduling)).

#include <cstdint>
#include <string>

#include "clinic/ServiceInterface.h"

namespace clinic::scheduling {

/// How an action ended.
struct ActionResult {
    bool done = false;
    /// The appointment's status afterwards (or as it was, when refused).
    std::string status;
    /// When refused: the API's error code (NOT_FOUND, CONFLICT, RULE_REJECTED, ...) and its message.
    std::string errorCode;
    std::string message;
};

/// Published by the scheduling plugin as kAppointmentActionsService.
class CLINIC_SERVICE_INTERFACE AppointmentActions {
public:
    virtual ~AppointmentActions() = default;

    /// The patient confirms their appointment (pending -> confirmed). via
    /// names the channel for the audit trail ("sms").
    virtual ActionResult confirmByPatient(std::int64_t appointmentId, const std::string& via) = 0;
    /// The patient cancels their appointment; cancel_policy decides (and may
    /// refuse, RULE_REJECTED, or charge its fee) as for the API.
    virtual ActionResult cancelByPatient(
        std::int64_t appointmentId, const std::string& reason, const std::string& via)
        = 0;
};

/// The ServiceRegistry name of AppointmentActions, version 1 of its interface.
inline constexpr const char* kAppointmentActionsService = "scheduling.appointment_actions.v1";

} // namespace clinic::scheduling
