// The plugin itself: its routes, and the access check and audit every
// handler goes through. The handlers live in a file per resource.

#include "RecordsPlugin.h"

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <Poco/File.h>
#include <Poco/Nullable.h>

#include "RecordChecks.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"

namespace records {

namespace {

const std::set<std::string> kStaff = {"admin", "doctor", "nurse", "receptionist"};
const std::set<std::string> kEveryone = {"admin", "doctor", "nurse", "receptionist", "patient"};
const std::set<std::string> kClinicalWriters = {"admin", "doctor", "nurse"};
const std::set<std::string> kPhysicians = {"admin", "doctor"};

} // namespace

std::string reasonOf(const Request& req)
{
    std::string reason;
    if (auto h = req.header("X-Access-Reason"))
        reason = *h;
    else if (auto q = req.query("reason"))
        reason = *q;
    std::string out;
    for (char c : reason)
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    return out.substr(0, 255);
}

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

    auto add
        = [&](const std::string& method, const std::string& pattern, std::set<std::string> roles,
              Response (RecordsPlugin::*fn)(Request&), const std::string& summary, std::size_t maxBody = 0) {
              host.router().add({method, pattern, clinic::Access::only(std::move(roles)),
                  [this, fn](Request& req) { return (this->*fn)(req); }, summary, maxBody});
          };
    add("GET", "/api/v1/patients", kStaff, &RecordsPlugin::listPatients, "records: list or search patients");
    add("POST", "/api/v1/patients", kStaff, &RecordsPlugin::createPatient, "records: create a patient");
    add("GET", "/api/v1/patients/{id}", kEveryone, &RecordsPlugin::getPatient, "records: one patient");
    add("PATCH", "/api/v1/patients/{id}", kStaff, &RecordsPlugin::patchPatient, "records: change a patient");
    add("GET", "/api/v1/patients/{id}/encounters", kEveryone, &RecordsPlugin::listEncounters,
        "records: a patient's encounters, current versions with their history");
    add("POST", "/api/v1/patients/{id}/encounters", kPhysicians, &RecordsPlugin::createEncounter,
        "records: add an encounter, or correct one (supersedes)");
    add("GET", "/api/v1/patients/{id}/vitals", kEveryone, &RecordsPlugin::listVitals, "records: vitals");
    add("POST", "/api/v1/patients/{id}/vitals", kClinicalWriters, &RecordsPlugin::createVitals,
        "records: record vitals");
    add("GET", "/api/v1/patients/{id}/lab-results", kEveryone, &RecordsPlugin::listLabResults,
        "records: lab results");
    add("POST", "/api/v1/patients/{id}/lab-results", kClinicalWriters, &RecordsPlugin::createLabResult,
        "records: record a lab result");
    add("GET", "/api/v1/patients/{id}/documents", kEveryone, &RecordsPlugin::listDocuments,
        "records: a patient's documents (metadata)");
    add("POST", "/api/v1/patients/{id}/documents", kClinicalWriters, &RecordsPlugin::uploadDocument,
        "records: upload a PDF, PNG or JPEG as the raw body (?filename=&kind=)", _maxDocumentBytes);
    add("GET", "/api/v1/patients/{id}/documents/{doc_id}", kEveryone, &RecordsPlugin::getDocument,
        "records: one document's metadata");
    add("GET", "/api/v1/patients/{id}/documents/{doc_id}/content", kEveryone, &RecordsPlugin::documentContent,
        "records: download a document");
    add("POST", "/api/v1/patients/{id}/documents/letters", kPhysicians, &RecordsPlugin::createLetter,
        "records: generate a letter from a template, stored as a document");
    add("GET", "/api/v1/patients/{id}/export", kEveryone, &RecordsPlugin::exportPatient,
        "records: everything held about a patient (GDPR right of access)");
}

void RecordsPlugin::guard(Request& req, std::int64_t patientId, PatientData kind, const std::string& action)
{
    if (!_patients->exists(patientId))
        throw HttpError::notFound("no such patient");
    try {
        _host->access().require(req, patientId, kind);
    } catch (const HttpError&) {
        // The refusal stands even if its audit row cannot be written: a
        // 500 here would tell a prober which patient ids exist.
        try {
            _host->audit().record(req,
                clinic::AuditEvent {
                    action, "patient", std::to_string(patientId), patientId, "denied", reasonOf(req)});
        } catch (const std::exception& e) {
            _host->logger().error("could not audit a denied %s on patient %Ld: %s", action,
                static_cast<Poco::Int64>(patientId), std::string(e.what()));
        }
        throw;
    }
}

void RecordsPlugin::auditRead(Request& req, const std::string& action, const std::string& type,
    const std::string& objectId, std::int64_t patientId)
{
    _host->audit().record(req, clinic::AuditEvent {action, type, objectId, patientId, "ok", reasonOf(req)});
}

void RecordsPlugin::auditWrite(clinic::Transaction& tx, Request& req, const std::string& action,
    const std::string& type, std::int64_t objectId, std::int64_t patientId)
{
    _host->audit().record(
        tx, req, clinic::AuditEvent {action, type, std::to_string(objectId), patientId, "ok", reasonOf(req)});
}

} // namespace records

CLINIC_PLUGIN(records::RecordsPlugin)
