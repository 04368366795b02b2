// The plugin itself: its routes, and the access check and audit every
// handler goes through. The handlers live in a file per resource.

#include "RecordsPlugin.h"

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <Poco/File.h>
#include <Poco/Nullable.h>

#include "PatientSearchService.h"
#include "RecordChecks.h"
#include "RecordsSchemas.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/StreamNarrowing.h"

namespace records {

namespace {

/// The live stream's clinical rows go to those who may read that patient's
/// clinical data: with access.doctors_own_patients_only a doctor's stream
/// carries no clinical change of another doctor's patient. Schedule rows
/// (ids and times, no clinical detail) are left to their audience, so a
/// location's agenda stays whole on every terminal.
class ClinicalStreamNarrowing : public clinic::StreamNarrowing {
public:
    explicit ClinicalStreamNarrowing(const clinic::AccessPolicy& access)
        : _access(access)
    {
    }

    bool mayCarry(const clinic::Caller& caller, const std::string&, clinic::EventAudience audience,
        std::int64_t patientId) const override
    {
        return audience != clinic::EventAudience::Clinical
            || _access.maySee(caller, patientId, clinic::PatientData::Clinical);
    }

private:
    const clinic::AccessPolicy& _access;
};

} // namespace

void setOptional(Poco::JSON::Object::Ptr& o, const std::string& key, const std::optional<std::int64_t>& v)
{
    if (v)
        o->set(key, static_cast<Poco::Int64>(*v));
    else
        o->set(key, Poco::Dynamic::Var());
}

void setOptional(Poco::JSON::Object::Ptr& o, const std::string& key, const std::optional<double>& v)
{
    if (v)
        o->set(key, *v);
    else
        o->set(key, Poco::Dynamic::Var());
}

std::optional<std::int64_t> optional(const Poco::Nullable<Poco::Int64>& v)
{
    return v.isNull() ? std::nullopt : std::optional<std::int64_t>(v.value());
}

std::optional<double> optional(const Poco::Nullable<double>& v)
{
    return v.isNull() ? std::nullopt : std::optional<double>(v.value());
}

Poco::Nullable<Poco::Int64> nullable(const std::optional<std::int64_t>& v)
{
    return v ? Poco::Nullable<Poco::Int64>(static_cast<Poco::Int64>(*v)) : Poco::Nullable<Poco::Int64>();
}

Poco::Nullable<double> nullable(const std::optional<double>& v)
{
    return v ? Poco::Nullable<double>(*v) : Poco::Nullable<double>();
}

std::int64_t readInstant(clinic::FieldReader& in, const std::string& field, std::int64_t now)
{
    const std::string text = in.requiredString(field, 1, 40);
    if (text.empty())
        return 0;
    auto at = parseRfc3339(text);
    if (!at) {
        in.fail(field, "is not an RFC 3339 instant with an offset (2026-12-01T09:30:00+02:00)");
        return 0;
    }
    // A little slack for terminals whose clocks run ahead.
    if (*at > now + 300)
        in.fail(field, "is in the future");
    return *at;
}

void RecordsPlugin::start(clinic::Host& host)
{
    _host = &host;
    // A new record shows on the live stream as its id only: reception
    // registers patients, so every staff role may see that one was made.
    host.events().declare(
        "patient.created", clinic::EventVisibility {clinic::EventAudience::Schedule, {"patient_id"}});
    _patients = std::make_shared<PatientDirectory>(host);
    _maxDocumentBytes
        = static_cast<std::size_t>(host.config().getInt64("records.max_document_bytes", 10 * 1024 * 1024));
    if (_maxDocumentBytes < 1)
        throw std::invalid_argument("records.max_document_bytes must be positive");
    _templatesDir = host.config().getString("records.templates_dir", "");
    if (_templatesDir.empty())
        _templatesDir = Poco::File(RECORDS_TEMPLATES_INSTALLED).exists() ? RECORDS_TEMPLATES_INSTALLED
                                                                         : RECORDS_TEMPLATES_SOURCE;
    _documentsDir = host.dataDir() + "/documents";
    Poco::File(_documentsDir).createDirectories();
    host.services().publish<clinic::PatientAccounts>(clinic::kPatientAccountsService, _patients);
    host.services().publish<clinic::records::PatientRegistry>(
        clinic::records::kPatientRegistryService, _patients);
    host.services().publish<clinic::records::ClinicalSummary>(
        clinic::records::kClinicalSummaryService, std::make_shared<VitalsSummary>(host.database()));
    host.services().publish<clinic::records::ExportSections>(
        clinic::records::kExportSectionsService, _exportSections);
    host.services().publish<clinic::StreamNarrowing>(
        clinic::kStreamNarrowingService, std::make_shared<ClinicalStreamNarrowing>(host.access()));
    host.services().publish<clinic::records::PatientSearch>(
        clinic::records::kPatientSearchService, makePatientSearch(host.database()));

    namespace roles = clinic::roles;
    using clinic::Contract;
    using clinic::listOf;
    using clinic::Schema;
    // ?reason= (or X-Access-Reason) is kept in the audit row of a read or write.
    auto audited = [] {
        return Contract().param(
            "reason", Schema::string(0, 255), "why the caller looks: kept in the audit row");
    };
    clinic::RouteTable<RecordsPlugin> routes(host.router(), *this);
    routes.add("GET", "/api/v1/patients", roles::staff, &RecordsPlugin::listPatients,
        "records: list or search patients",
        audited()
            .param("q", Schema::string(), "search by name, phone or national id")
            .page()
            .returns(200, "patients", listOf(schemas::patient())));
    routes.add("POST", "/api/v1/patients", roles::staff, &RecordsPlugin::createPatient,
        "records: create a patient",
        audited()
            .accepts(schemas::patientInput(true))
            .returns(
                201, "the patient; 409 names a likely duplicate (send force: true)", schemas::patient()));
    routes.add("GET", "/api/v1/patients/{id}", roles::everyone, &RecordsPlugin::getPatient,
        "records: one patient", audited().returns(200, "the patient", schemas::patient()));
    routes.add("PATCH", "/api/v1/patients/{id}", roles::staff, &RecordsPlugin::patchPatient,
        "records: change a patient",
        audited()
            .accepts(schemas::patientInput(false))
            .returns(200, "the patient as changed", schemas::patient()));
    routes.add("GET", "/api/v1/patients/{id}/encounters", roles::everyone, &RecordsPlugin::listEncounters,
        "records: a patient's encounters, current versions with their history",
        audited().page().returns(200, "encounters", listOf(schemas::encounterWithHistory())));
    routes.add("POST", "/api/v1/patients/{id}/encounters", roles::physicians, &RecordsPlugin::createEncounter,
        "records: add an encounter, or correct one (supersedes)",
        audited()
            .accepts(schemas::encounterInput())
            .returns(201, "the encounter (a correction: its new version)", schemas::encounter()));
    routes.add("GET", "/api/v1/patients/{id}/vitals", roles::everyone, &RecordsPlugin::listVitals,
        "records: vitals", audited().page().returns(200, "vitals", listOf(schemas::vitals())));
    routes.add("POST", "/api/v1/patients/{id}/vitals", roles::clinical, &RecordsPlugin::createVitals,
        "records: record vitals",
        audited().accepts(schemas::vitalsInput()).returns(201, "the reading", schemas::vitals()));
    routes.add("GET", "/api/v1/patients/{id}/lab-results", roles::everyone, &RecordsPlugin::listLabResults,
        "records: lab results", audited().page().returns(200, "lab results", listOf(schemas::labResult())));
    routes.add("POST", "/api/v1/patients/{id}/lab-results", roles::clinical, &RecordsPlugin::createLabResult,
        "records: record a lab result",
        audited().accepts(schemas::labResultInput()).returns(201, "the lab result", schemas::labResult()));
    routes.add("GET", "/api/v1/patients/{id}/documents", roles::everyone, &RecordsPlugin::listDocuments,
        "records: a patient's documents (metadata)",
        audited().page().returns(200, "documents", listOf(schemas::document())));
    routes.add("POST", "/api/v1/patients/{id}/documents", roles::clinical, &RecordsPlugin::uploadDocument,
        "records: upload a PDF, PNG or JPEG as the raw body (?filename=&kind=)",
        audited()
            .param("filename", Schema::string(0, 255), "the file's name, kept for downloads")
            .param("kind", Schema::string(1, 32), "lower-case letters or _ (default other)")
            .acceptsBytes("application/octet-stream",
                "the file itself; its type is decided by its content (PDF, PNG or JPEG, else 415)")
            .returns(201, "the stored document", schemas::document()),
        _maxDocumentBytes);
    routes.add("GET", "/api/v1/patients/{id}/documents/{doc_id}", roles::everyone,
        &RecordsPlugin::getDocument, "records: one document's metadata",
        audited().returns(200, "the document", schemas::document()));
    routes.add("GET", "/api/v1/patients/{id}/documents/{doc_id}/content", roles::everyone,
        &RecordsPlugin::documentContent, "records: download a document",
        audited().returnsText(200, "application/octet-stream",
            "the stored bytes, with the document's content_type (PDF, PNG, JPEG or a letter's HTML)"));
    routes.add("POST", "/api/v1/patients/{id}/documents/letters", roles::physicians,
        &RecordsPlugin::createLetter, "records: generate a letter from a template, stored as a document",
        audited()
            .accepts(schemas::letterInput())
            .returnsText(201, "text/html; charset=utf-8",
                "the letter; Location and X-Document-Id name the stored document"));
    routes.add("GET", "/api/v1/patients/{id}/export", roles::everyone, &RecordsPlugin::exportPatient,
        "records: everything held about a patient (GDPR right of access)",
        audited().returns(200, "everything held about the patient", schemas::patientExport()));
}

void RecordsPlugin::guard(Request& req, std::int64_t patientId, PatientData kind, const std::string& action)
{
    // For a patient, whose view of other ids is masked as 404, the policy
    // comes first: a refusal costs the same audit write whether the id is
    // another patient's or nobody's, so the answer's time does not tell a
    // prober which ids exist. Staff learn nothing from existence (they may
    // list patients): an unknown id is 404 for them before any policy check.
    if (req.caller.role != "patient" && !_patients->exists(patientId))
        throw HttpError::notFound("no such patient");
    try {
        _host->access().require(req, patientId, kind);
    } catch (const HttpError&) {
        // The refusal stands even if its audit row cannot be written: a
        // 500 here would tell a prober which patient ids exist.
        try {
            _host->audit().record(req,
                clinic::AuditEvent {action, "patient", std::to_string(patientId), patientId, "denied", ""});
        } catch (const std::exception& e) {
            _host->logger().error("could not audit a denied %s on patient %Ld: %s", action,
                static_cast<Poco::Int64>(patientId), std::string(e.what()));
        }
        throw;
    }
    if (!_patients->exists(patientId))
        throw HttpError::notFound("no such patient");
}

void RecordsPlugin::auditRead(Request& req, const std::string& action, const std::string& type,
    const std::string& objectId, std::int64_t patientId)
{
    _host->audit().record(req, clinic::AuditEvent {action, type, objectId, patientId, "ok", ""});
}

void RecordsPlugin::auditWrite(clinic::Transaction& tx, Request& req, const std::string& action,
    const std::string& type, std::int64_t objectId, std::int64_t patientId)
{
    _host->audit().record(
        tx, req, clinic::AuditEvent {action, type, std::to_string(objectId), patientId, "ok", ""});
}

} // namespace records

CLINIC_PLUGIN(records::RecordsPlugin)
