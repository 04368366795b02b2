// The fhir plugin: the clinic in HL7 FHIR R4 (JSON) under /fhir/r4, for
// hospitals, laboratories and national services that exchange data in it.
// It owns no table: everything is read and booked through the services the
// records, scheduling and (optionally) prescriptions plugins publish.

#include "FhirApi.h"

#include "FhirSupport.h"
#include "clinic/Plugin.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/prescriptions/PrescriptionHistory.h"

namespace fhir {

namespace {

using clinic::Contract;
using clinic::Reply;
using clinic::Schema;

/// The shape every FHIR answer declares: a resource of its type.
Schema resourceOf(const std::string& type)
{
    return Schema::object()
        .required("resourceType", Schema::enumOf({type}))
        .optional("id", Schema::string(1, 64))
        .additional(Schema())
        .describe("a FHIR R4 " + type + " resource");
}

Contract answers(int status, const std::string& description, const std::string& type)
{
    Contract c;
    c.replies.push_back(Reply {status, description, resourceOf(type), kFhirJson});
    return c;
}

Contract searchContract(
    const std::string& type, const std::vector<std::pair<std::string, std::string>>& params)
{
    Contract c = answers(200, "a searchset Bundle of " + type + " resources", "Bundle");
    for (const auto& [name, description] : params)
        c.param(name, Schema::string(1, 200), description);
    c.param("_count", Schema::integer(1, 500), "resources per page (default 50)");
    c.param("_cursor", Schema::string(), "from the previous page's next link");
    return c;
}

} // namespace

FhirApi::FhirApi(clinic::Host& host)
    : _host(host)
    , _baseUrl(host.config().getString("fhir.base_url", ""))
{
    while (!_baseUrl.empty() && _baseUrl.back() == '/')
        _baseUrl.pop_back();
}

std::string FhirApi::base(const clinic::Request& req) const
{
    return baseUrl(req, _baseUrl);
}

bool FhirApi::prescriptionsLoaded() const
{
    return _host.services().find<clinic::prescriptions::PrescriptionHistory>(
               clinic::prescriptions::kPrescriptionHistoryService)
        != nullptr;
}

void FhirApi::start()
{
    namespace roles = clinic::roles;
    // Errors under /fhir/r4 are OperationOutcomes, the kernel's own 401, 404
    // and 405 included.
    _host.router().renderErrors(kBasePath, renderError);
    clinic::RouteTable<FhirApi> routes(_host.router(), *this);
    const std::string p = kBasePath;
    routes.add("GET", p + "/metadata", clinic::Access::open(), &FhirApi::metadata,
        "fhir: the CapabilityStatement (the types and search parameters served)",
        answers(200, "the CapabilityStatement", "CapabilityStatement"));

    auto reads = [&](const std::string& type, auto handler, const std::set<std::string>& who) {
        routes.add("GET", p + "/" + type + "/{id}", who, handler, "fhir: read a " + type,
            answers(200, "the " + type, type));
    };
    auto searches = [&](const std::string& type, auto handler, const std::set<std::string>& who,
                        const std::vector<std::pair<std::string, std::string>>& params) {
        routes.add("GET", p + "/" + type, who, handler, "fhir: search " + type, searchContract(type, params));
    };
    // The directory is every signed-in user's, as in the JSON API.
    reads("Practitioner", &FhirApi::readPractitioner, roles::everyone);
    searches("Practitioner", &FhirApi::searchPractitioner, roles::everyone,
        {{"_id", "the Practitioner's id"}, {"name", "part of the name, any case"}});
    reads("Location", &FhirApi::readLocation, roles::everyone);
    searches("Location", &FhirApi::searchLocation, roles::everyone,
        {{"_id", "the Location's id"}, {"name", "part of the name"}, {"address-city", "part of the city"}});
    reads("HealthcareService", &FhirApi::readHealthcareService, roles::everyone);
    searches("HealthcareService", &FhirApi::searchHealthcareService, roles::everyone,
        {{"_id", "the HealthcareService's id"}, {"name", "part of the name"}});
    reads("Schedule", &FhirApi::readSchedule, roles::everyone);
    searches("Schedule", &FhirApi::searchSchedule, roles::everyone,
        {{"_id", "<doctor>-<service>"},
            {"actor", "Practitioner/<id>, Location/<id> or HealthcareService/<id>"}});
    reads("Slot", &FhirApi::readSlot, roles::everyone);
    searches("Slot", &FhirApi::searchSlot, roles::everyone,
        {{"schedule", "Schedule/<doctor>-<service> (required)"},
            {"start", "[eq|ge|gt|le|lt]date or instant, repeatable; default the next 14 days"},
            {"status", "free (busy codes match nothing)"}});
    // Patient data: a patient sees only their own (the access policy decides
    // per record for staff).
    reads("Patient", &FhirApi::readPatient, roles::everyone);
    searches("Patient", &FhirApi::searchPatient, roles::everyone,
        {{"_id", "the Patient's id"}, {"identifier", "[urn:clinicd:national-id|]national id"},
            {"name", "prefix of the first or last name"},
            {"birthdate", "[eq|ge|gt|le|lt]YYYY[-MM[-DD]], repeatable"}});
    reads("Appointment", &FhirApi::readAppointment, roles::everyone);
    searches("Appointment", &FhirApi::searchAppointment, roles::everyone,
        {{"_id", "the Appointment's id"},
            {"date", "[eq|ge|gt|le|lt]date or instant of the start, repeatable"}, {"patient", "Patient/<id>"},
            {"practitioner", "Practitioner/<id>"}, {"location", "Location/<id>"},
            {"actor", "Patient/<id>, Practitioner/<id> or Location/<id>"},
            {"status", "comma-separated codes (pending, booked, checked-in, fulfilled, cancelled, noshow)"}});
    Contract create = answers(201, "the booked Appointment (Location header: its URL)", "Appointment");
    create.body
        = resourceOf("Appointment")
              .describe(
                  "an Appointment with a Patient participant and either slot "
                  "[Slot/<doctor>-<service>-<start>] or"
                  " start, a Practitioner and a HealthcareService participant; comment becomes the notes");
    create.bodyContentType = kFhirJson;
    routes.add("POST", p + "/Appointment", roles::everyone, &FhirApi::createAppointment,
        "fhir: book an Appointment (the path of POST /api/v1/appointments)", create);
    // As GET /api/v1/prescriptions: no reception.
    const std::set<std::string> prescriptionReaders = {"admin", "doctor", "nurse", "patient"};
    reads("MedicationRequest", &FhirApi::readMedicationRequest, prescriptionReaders);
    searches("MedicationRequest", &FhirApi::searchMedicationRequest, prescriptionReaders,
        {{"patient", "Patient/<id> (required, except for a patient)"}, {"subject", "the same as patient"},
            {"_id", "<patient>-<prescription>-<item>"}, {"status", "active, completed, cancelled"}});
}

namespace {

class FhirPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "fhir"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> dependencies() const override { return {"records", "scheduling"}; }
    std::vector<std::string> urlPrefixes() const override { return {kBasePath}; }

    void start(clinic::Host& host) override
    {
        _api = std::make_unique<FhirApi>(host);
        _api->start();
    }

private:
    std::unique_ptr<FhirApi> _api;
};

} // namespace

} // namespace fhir

CLINIC_PLUGIN(fhir::FhirPlugin)
