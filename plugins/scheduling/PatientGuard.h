#pragma once

// The refusal of a reach into another patient's scheduling data (lists,
// availability, the waitlist): 404 as if the patient did not exist, with a
// "denied" audit row as the records routes leave. The row is written for an
// id that exists and for one that does not alike, so the time the answer
// takes (one audit write either way) does not tell a prober which ids exist.

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/Audit.h"
#include "clinic/Host.h"

namespace scheduling {

/// Audits the denied attempt (a failed audit write is logged, never
/// answered: a 500 would tell which ids exist), then throws 404.
[[noreturn]] inline void refuseForeignPatient(
    clinic::Host& host, const clinic::Request& req, const std::string& action, std::int64_t patientId)
{
    try {
        host.audit().record(
            req, clinic::AuditEvent {action, "patient", std::to_string(patientId), patientId, "denied", ""});
    } catch (const std::exception& e) {
        host.logger().error("could not audit a denied " + action + ": " + e.what());
    }
    throw clinic::HttpError::notFound("no such patient");
}

/// The patient a request may ask about: a patient caller only their own
/// (another id is refused by refuseForeignPatient); staff any the access
/// policy allows, a refusal audited the same way before it is answered.
inline std::optional<std::int64_t> patientInScope(clinic::Host& host, const clinic::Request& req,
    const std::optional<std::int64_t>& asked, const std::string& action)
{
    if (req.caller.role == "patient") {
        if (asked && *asked != req.caller.patientId)
            refuseForeignPatient(host, req, action, *asked);
        return req.caller.patientId;
    }
    if (asked) {
        try {
            host.access().require(req, *asked, clinic::PatientData::Demographics);
        } catch (const clinic::HttpError& e) {
            try {
                host.audit().record(req,
                    clinic::AuditEvent {action, "patient", std::to_string(*asked), *asked, "denied", ""});
            } catch (const std::exception& ex) {
                host.logger().error("could not audit a denied " + action + ": " + ex.what());
            }
            throw;
        }
    }
    return asked;
}

} // namespace scheduling
