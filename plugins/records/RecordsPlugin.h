#pragma once

// The medical record: patients, encounters (append-only, versioned), vitals,
// lab results, documents, generated letters and the GDPR export. Every read
// and write of patient data goes through the kernel's access policy and is
// audited (writes in their own transaction).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Nullable.h>

#include "PatientDirectory.h"
#include "RecordsServices.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Migration.h"
#include "clinic/Plugin.h"

namespace records {

using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;

void setOptional(Poco::JSON::Object::Ptr& o, const std::string& key, const std::optional<std::int64_t>& v);
void setOptional(Poco::JSON::Object::Ptr& o, const std::string& key, const std::optional<double>& v);
std::optional<std::int64_t> optional(const Poco::Nullable<Poco::Int64>& v);
std::optional<double> optional(const Poco::Nullable<double>& v);
Poco::Nullable<Poco::Int64> nullable(const std::optional<std::int64_t>& v);
Poco::Nullable<double> nullable(const std::optional<double>& v);
/// A required RFC 3339 instant field, not later than a few minutes from now.
std::int64_t readInstant(clinic::FieldReader& in, const std::string& field, std::int64_t now);

class RecordsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "records"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> urlPrefixes() const override { return {"/api/v1/records", "/api/v1/patients"}; }

    // Long text is TEXT (64 KiB on MariaDB), not ${LONGTEXT}: Poco 1.11's
    // MySQL connector crashes extracting a LONGTEXT column into a string.
    // Inputs are capped to fit (notes 16000 characters, 100 allergies).
    std::vector<clinic::Migration> migrations() const override;
    void start(clinic::Host& host) override;

private:
    // ---- access and audit ---------------------------------------------------

    /// 404 for a patient that does not exist, then the kernel's policy (404
    /// for another patient, 403 for a role that may not see this kind). A
    /// refusal is audited as "denied" before it is answered.
    void guard(Request& req, std::int64_t patientId, PatientData kind, const std::string& action);
    void auditRead(Request& req, const std::string& action, const std::string& type,
        const std::string& objectId, std::int64_t patientId);
    void auditWrite(clinic::Transaction& tx, Request& req, const std::string& action, const std::string& type,
        std::int64_t objectId, std::int64_t patientId);
    std::int64_t nowSeconds() const { return _patients->nowSeconds(); }

    // ---- patients -------------------------------------------------------------

    Response listPatients(Request& req);
    Response createPatient(Request& req);
    Response getPatient(Request& req);
    Response patchPatient(Request& req);

    // ---- encounters -----------------------------------------------------------

    struct Encounter {
        Poco::JSON::Object::Ptr json;
        std::int64_t id = 0;
        std::int64_t root = 0;
        std::optional<std::int64_t> supersedes;
    };
    std::vector<Encounter> encountersOf(std::int64_t patientId);

    /// The current version of each encounter, oldest first, each with
    /// "history": its earlier versions, oldest first.
    std::vector<Poco::JSON::Object::Ptr> currentEncounters(std::int64_t patientId);
    Response listEncounters(Request& req);
    Response createEncounter(Request& req);

    // ---- vitals ---------------------------------------------------------------

    Poco::JSON::Array::Ptr vitalsOf(
        std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next);
    Response listVitals(Request& req);
    Response createVitals(Request& req);

    // ---- lab results ----------------------------------------------------------

    Poco::JSON::Array::Ptr labResultsOf(
        std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next);
    Response listLabResults(Request& req);
    Response createLabResult(Request& req);

    // ---- documents ------------------------------------------------------------

    struct Document {
        Poco::JSON::Object::Ptr json;
        std::string contentType;
        std::string filename;
        std::string sha256;
    };
    std::vector<Document> documentsOf(std::int64_t patientId, std::optional<std::int64_t> only,
        Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next);

    /// Stores content under documents/<sha256> (the name never comes from the
    /// client) and records its row and audit event; returns the new id.
    std::int64_t storeDocument(Request& req, std::int64_t patientId, const std::string& content,
        const std::string& contentType, const std::string& kind, const std::string& filename,
        const std::string& action);
    Response listDocuments(Request& req);
    Document oneDocument(Request& req, std::int64_t patientId);
    Response getDocument(Request& req);
    Response documentContent(Request& req);
    Response uploadDocument(Request& req);
    Response createLetter(Request& req);

    // ---- export ---------------------------------------------------------------

    Response exportPatient(Request& req);
    clinic::Host* _host = nullptr;
    std::shared_ptr<PatientDirectory> _patients;
    std::shared_ptr<ExportSectionTable> _exportSections = std::make_shared<ExportSectionTable>();
    std::size_t _maxDocumentBytes = 0;
    std::string _templatesDir;
    std::string _documentsDir;
};

} // namespace records
