#pragma once

// The clinic's objects as FHIR R4 resources. Ids: Patient, Practitioner,
// Location, HealthcareService and Appointment keep the clinic's ids;
// Schedule is "<doctor>-<service>" (one doctor's calendar for one service),
// Slot "<doctor>-<service>-<start, UTC seconds>" and MedicationRequest
// "<patient>-<prescription>-<item>", so each parses back to what it names.

#include <cstdint>
#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

#include "clinic/records/PatientSearch.h"
#include "clinic/scheduling/Appointments.h"
#include "clinic/scheduling/ClinicDirectory.h"
#include "clinic/scheduling/FreeSlots.h"

namespace fhir {

Poco::JSON::Object::Ptr patientResource(const clinic::records::PatientCard& p);
Poco::JSON::Object::Ptr practitionerResource(const clinic::scheduling::DoctorEntry& d);
Poco::JSON::Object::Ptr locationResource(const clinic::scheduling::LocationEntry& l);
Poco::JSON::Object::Ptr healthcareServiceResource(const clinic::scheduling::ServiceEntry& s);
Poco::JSON::Object::Ptr scheduleResource(
    const clinic::scheduling::DoctorEntry& d, const clinic::scheduling::ServiceEntry& s);
Poco::JSON::Object::Ptr slotResource(const clinic::scheduling::FreeSlot& slot, std::int64_t serviceId);
Poco::JSON::Object::Ptr appointmentResource(const clinic::scheduling::AppointmentSummary& a);
/// One item of a prescription (as GET /api/v1/prescriptions/{id} answers it).
Poco::JSON::Object::Ptr medicationRequestResource(
    const Poco::JSON::Object::Ptr& prescription, std::size_t item);

/// The clinic's appointment status as FHIR's, and back (nothing: no such code).
std::string appointmentStatus(const std::string& clinicStatus);
std::optional<std::string> clinicStatus(const std::string& fhirStatus);

/// A prescription's status (active, expired, cancelled, ...) as FHIR's.
std::string medicationRequestStatus(const std::string& clinicStatus);

/// "<a>-<b>[-<c>]" as its numbers; nothing if it is not that many positive ids.
std::optional<std::vector<std::int64_t>> compoundId(const std::string& id, std::size_t parts);

} // namespace fhir
