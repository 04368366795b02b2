#pragma once

// The FHIR R4 interface under /fhir/r4: read and search of Patient,
// Practitioner, Location, HealthcareService, Schedule, Slot, Appointment and
// (with the prescriptions plugin) MedicationRequest; booking by POST
// Appointment. Everything is read and written through the published
// services of the plugins that own the data, with the JSON API's roles,
// ownership checks and audit.

#include <memory>
#include <string>

#include "clinic/Host.h"
#include "clinic/records/PatientSearch.h"
#include "clinic/scheduling/AppointmentSearch.h"
#include "clinic/scheduling/Booking.h"
#include "clinic/scheduling/ClinicDirectory.h"
#include "clinic/scheduling/FreeSlots.h"

namespace fhir {

class FhirApi {
public:
    explicit FhirApi(clinic::Host& host);

    /// Routes, the error renderer and the services it needs.
    void start();

    // ---- directory (DirectoryRoutes.cpp) ------------------------------------
    clinic::Response readPractitioner(clinic::Request& req);
    clinic::Response searchPractitioner(clinic::Request& req);
    clinic::Response readLocation(clinic::Request& req);
    clinic::Response searchLocation(clinic::Request& req);
    clinic::Response readHealthcareService(clinic::Request& req);
    clinic::Response searchHealthcareService(clinic::Request& req);
    clinic::Response readSchedule(clinic::Request& req);
    clinic::Response searchSchedule(clinic::Request& req);
    clinic::Response readSlot(clinic::Request& req);
    clinic::Response searchSlot(clinic::Request& req);

    // ---- patients (PatientRoutes.cpp) ---------------------------------------
    clinic::Response readPatient(clinic::Request& req);
    clinic::Response searchPatient(clinic::Request& req);
    clinic::Response readMedicationRequest(clinic::Request& req);
    clinic::Response searchMedicationRequest(clinic::Request& req);

    // ---- appointments (AppointmentRoutes.cpp) -------------------------------
    clinic::Response readAppointment(clinic::Request& req);
    clinic::Response searchAppointment(clinic::Request& req);
    clinic::Response createAppointment(clinic::Request& req);

    // ---- CapabilityStatement (Capability.cpp) --------------------------------
    clinic::Response metadata(clinic::Request& req);

    std::string base(const clinic::Request& req) const;

private:
    /// A service the fhir plugin cannot work without (its plugin is a dependency).
    template<class T> std::shared_ptr<T> need(const char* name) const;
    /// Whether the prescriptions plugin is loaded and MedicationRequest served.
    bool prescriptionsLoaded() const;

    clinic::Host& _host;
    std::string _baseUrl;
};

template<class T> std::shared_ptr<T> FhirApi::need(const char* name) const
{
    auto service = _host.services().find<T>(name);
    if (!service)
        throw clinic::HttpError(
            503, "SERVICE_UNAVAILABLE", std::string("the service ") + name + " is not running");
    return service;
}

} // namespace fhir
