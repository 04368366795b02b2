// The medical record: patients, encounters (append-only, versioned), vitals,
// lab results, documents, generated letters and the GDPR export. Every read
// and write of patient data goes through the kernel's access policy and is
// audited (writes in their own transaction).

#include <cctype>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <Poco/Data/Statement.h>
#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/Tuple.h>
#include <Poco/UUIDGenerator.h>

#include "PatientDirectory.h"
#include "RecordChecks.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

using namespace Poco::Data::Keywords;
using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;

namespace records {

namespace {

const std::set<std::string> kStaff = {"admin", "doctor", "nurse", "receptionist"};
const std::set<std::string> kEveryone = {"admin", "doctor", "nurse", "receptionist", "patient"};
const std::set<std::string> kClinicalWriters = {"admin", "doctor", "nurse"};
const std::set<std::string> kPhysicians = {"admin", "doctor"};
const std::set<std::string> kTemplates = {"referral", "medical_certificate", "recommendation"};

/// Whatever the caller said about why they look: kept in the audit row.
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

/// A required RFC 3339 instant field, not later than a few minutes from now.
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

} // namespace

class RecordsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "records"; }
    std::string version() const override { return "1.0.0"; }
    std::vector<std::string> urlPrefixes() const override { return {"/api/v1/records", "/api/v1/patients"}; }

    // Long text is TEXT (64 KiB on MariaDB), not ${LONGTEXT}: Poco 1.11's
    // MySQL connector crashes extracting a LONGTEXT column into a string.
    // Inputs are capped to fit (notes 16000 characters, 100 allergies).
    std::vector<clinic::Migration> migrations() const override
    {
        return {
            {1, "patients",
                {"CREATE TABLE records_patients (id ${PK}, first_name VARCHAR(100) NOT NULL,"
                 " last_name VARCHAR(100) NOT NULL, first_name_key VARCHAR(100) NOT NULL,"
                 " last_name_key VARCHAR(100) NOT NULL, birth_date VARCHAR(10) NOT NULL, sex VARCHAR(8) NOT "
                 "NULL,"
                 " phone VARCHAR(40) NOT NULL, phone_key VARCHAR(40) NOT NULL,"
                 " email VARCHAR(254) NOT NULL DEFAULT '', national_id VARCHAR(32) NOT NULL DEFAULT '',"
                 " language VARCHAR(2) NOT NULL, allergies TEXT NOT NULL, created_at BIGINT NOT NULL,"
                 " updated_at BIGINT NOT NULL)${TABLE}",
                    "CREATE INDEX records_patients_last ON records_patients (last_name_key, first_name_key)",
                    "CREATE INDEX records_patients_first ON records_patients (first_name_key)",
                    "CREATE INDEX records_patients_birth ON records_patients (birth_date)",
                    "CREATE INDEX records_patients_phone ON records_patients (phone_key)",
                    "CREATE INDEX records_patients_national ON records_patients (national_id)"}},
            // A correction supersedes exactly one version, and a version is
            // corrected at most once: the unique key keeps each history a
            // single line even with two daemons on one database.
            {2, "encounters",
                {"CREATE TABLE records_encounters (id ${PK}, patient_id BIGINT NOT NULL, root_id BIGINT NOT "
                 "NULL,"
                 " supersedes BIGINT NULL, version BIGINT NOT NULL, appointment_id BIGINT NULL,"
                 " doctor_id BIGINT NOT NULL, summary VARCHAR(500) NOT NULL, diagnoses TEXT NOT NULL,"
                 " notes TEXT NOT NULL, created_at BIGINT NOT NULL, created_by BIGINT NOT "
                 "NULL)${TABLE}",
                    "CREATE INDEX records_encounters_patient ON records_encounters (patient_id, id)",
                    "CREATE UNIQUE INDEX records_encounters_supersedes ON records_encounters (supersedes)"}},
            {3, "vitals",
                {"CREATE TABLE records_vitals (id ${PK}, patient_id BIGINT NOT NULL, taken_at BIGINT NOT "
                 "NULL,"
                 " systolic BIGINT NULL, diastolic BIGINT NULL, pulse BIGINT NULL, temperature_c DOUBLE NULL,"
                 " weight_kg DOUBLE NULL, height_cm DOUBLE NULL, spo2 BIGINT NULL, created_at BIGINT NOT "
                 "NULL,"
                 " created_by BIGINT NOT NULL)${TABLE}",
                    "CREATE INDEX records_vitals_patient ON records_vitals (patient_id, id)"}},
            {4, "lab results",
                {"CREATE TABLE records_lab_results (id ${PK}, patient_id BIGINT NOT NULL,"
                 " test VARCHAR(200) NOT NULL, result_value VARCHAR(200) NOT NULL, unit VARCHAR(50) NOT NULL,"
                 " reference_range VARCHAR(100) NOT NULL, flag VARCHAR(8) NOT NULL, taken_at BIGINT NOT NULL,"
                 " created_at BIGINT NOT NULL, created_by BIGINT NOT NULL)${TABLE}",
                    "CREATE INDEX records_lab_results_patient ON records_lab_results (patient_id, id)"}},
            {5, "documents",
                {"CREATE TABLE records_documents (id ${PK}, patient_id BIGINT NOT NULL, kind VARCHAR(32) NOT "
                 "NULL,"
                 " filename VARCHAR(200) NOT NULL, content_type VARCHAR(64) NOT NULL, size_bytes BIGINT NOT "
                 "NULL,"
                 " sha256 VARCHAR(64) NOT NULL, created_at BIGINT NOT NULL, created_by BIGINT NOT "
                 "NULL)${TABLE}",
                    "CREATE INDEX records_documents_patient ON records_documents (patient_id, id)"}},
        };
    }

    void start(clinic::Host& host) override
    {
        _host = &host;
        _patients = std::make_shared<PatientDirectory>(host);
        _maxDocumentBytes = static_cast<std::size_t>(
            host.config().getInt64("records.max_document_bytes", 10 * 1024 * 1024));
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

        auto add = [&](const std::string& method, const std::string& pattern, std::set<std::string> roles,
                       Response (RecordsPlugin::*fn)(Request&), const std::string& summary,
                       std::size_t maxBody = 0) {
            host.router().add({method, pattern, clinic::Access::only(std::move(roles)),
                [this, fn](Request& req) { return (this->*fn)(req); }, summary, maxBody});
        };
        add("GET", "/api/v1/patients", kStaff, &RecordsPlugin::listPatients,
            "records: list or search patients");
        add("POST", "/api/v1/patients", kStaff, &RecordsPlugin::createPatient, "records: create a patient");
        add("GET", "/api/v1/patients/{id}", kEveryone, &RecordsPlugin::getPatient, "records: one patient");
        add("PATCH", "/api/v1/patients/{id}", kStaff, &RecordsPlugin::patchPatient,
            "records: change a patient");
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
        add("GET", "/api/v1/patients/{id}/documents/{doc_id}/content", kEveryone,
            &RecordsPlugin::documentContent, "records: download a document");
        add("POST", "/api/v1/patients/{id}/documents/letters", kPhysicians, &RecordsPlugin::createLetter,
            "records: generate a letter from a template, stored as a document");
        add("GET", "/api/v1/patients/{id}/export", kEveryone, &RecordsPlugin::exportPatient,
            "records: everything held about a patient (GDPR right of access)");
    }

private:
    // ---- access and audit ---------------------------------------------------

    /// 404 for a patient that does not exist, then the kernel's policy (404
    /// for another patient, 403 for a role that may not see this kind). A
    /// refusal is audited as "denied" before it is answered.
    void guard(Request& req, std::int64_t patientId, PatientData kind, const std::string& action)
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

    void auditRead(Request& req, const std::string& action, const std::string& type,
        const std::string& objectId, std::int64_t patientId)
    {
        _host->audit().record(
            req, clinic::AuditEvent {action, type, objectId, patientId, "ok", reasonOf(req)});
    }

    void auditWrite(clinic::Transaction& tx, Request& req, const std::string& action, const std::string& type,
        std::int64_t objectId, std::int64_t patientId)
    {
        _host->audit().record(tx, req,
            clinic::AuditEvent {action, type, std::to_string(objectId), patientId, "ok", reasonOf(req)});
    }

    std::int64_t nowSeconds() const { return _patients->nowSeconds(); }

    // ---- patients -------------------------------------------------------------

    Response listPatients(Request& req)
    {
        clinic::PageRequest page = clinic::readPage(req);
        PatientPage found = _patients->search(req.query("q").value_or(""), page.cursor, page.limit);
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        std::vector<std::int64_t> shown;
        for (const auto& p : found.items)
            if (_host->access().maySee(req.caller, p.id, PatientData::Demographics)) {
                items->add(p.toJson());
                shown.push_back(p.id);
            }
        // One row per patient shown, so "who saw patient X" finds searches
        // and list pages too, not only direct reads. The search text itself is
        // not recorded (it may be a name or a national id).
        const std::string action = req.query("q") ? "patient.search" : "patient.list";
        _host->database().transact([&](clinic::Transaction& tx) {
            if (shown.empty())
                _host->audit().record(
                    tx, req, clinic::AuditEvent {action, "patient", "", 0, "ok", reasonOf(req)});
            for (std::int64_t id : shown)
                _host->audit().record(tx, req,
                    clinic::AuditEvent {action, "patient", std::to_string(id), id, "ok", reasonOf(req)});
        });
        return Response::json(clinic::listPage(items, found.nextCursor));
    }

    Response createPatient(Request& req)
    {
        auto body = req.jsonObject();
        clinic::FieldReader in(body);
        Patient p;
        _patients->read(in, body, p, false);
        const bool force = in.optionalBool("force").value_or(false);
        in.finish();
        std::int64_t duplicate = 0;
        _host->database().transact([&](clinic::Transaction& tx) {
            duplicate = force ? 0 : _patients->findDuplicate(tx, p);
            if (duplicate)
                return;
            _patients->insert(tx, p);
            auditWrite(tx, req, "patient.create", "patient", p.id, p.id);
        });
        if (duplicate) {
            auto details = clinic::makeObject();
            details->set("existing_id", static_cast<Poco::Int64>(duplicate));
            throw HttpError::conflict("a patient with this national id, or this name and birth date, exists; "
                                      "send \"force\": true to "
                                      "create another",
                details);
        }
        Response r = Response::json(p.toJson(), 201);
        r.headers.emplace_back("Location", "/api/v1/patients/" + std::to_string(p.id));
        return r;
    }

    Response getPatient(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        guard(req, id, PatientData::Demographics, "patient.read");
        auto p = _patients->find(id);
        if (!p)
            throw HttpError::notFound("no such patient");
        auditRead(req, "patient.read", "patient", std::to_string(id), id);
        return Response::json(p->toJson());
    }

    Response patchPatient(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        guard(req, id, PatientData::Demographics, "patient.update");
        auto body = req.jsonObject();
        Patient p;
        _host->database().transact([&](clinic::Transaction& tx) {
            auto current = _patients->find(tx, id);
            if (!current)
                throw HttpError::notFound("no such patient");
            p = *current;
            clinic::FieldReader in(body);
            _patients->read(in, body, p, true);
            const bool force = in.optionalBool("force").value_or(false);
            in.finish();
            // Only a change of identity can make a duplicate: a phone change on
            // a record created with force must not be refused.
            const bool identity = body->has("national_id") || body->has("first_name")
                || body->has("last_name") || body->has("birth_date");
            if (identity && !force)
                if (std::int64_t duplicate = _patients->findDuplicate(tx, p)) {
                    auto details = clinic::makeObject();
                    details->set("existing_id", static_cast<Poco::Int64>(duplicate));
                    throw HttpError::conflict("another patient has this national id, or this name and birth "
                                              "date; send \"force\": true "
                                              "to keep both",
                        details);
                }
            p.updatedAt = nowSeconds();
            _patients->update(tx, p);
            auditWrite(tx, req, "patient.update", "patient", id, id);
        });
        return Response::json(p.toJson());
    }

    // ---- encounters -----------------------------------------------------------

    struct Encounter {
        Poco::JSON::Object::Ptr json;
        std::int64_t id = 0;
        std::int64_t root = 0;
        std::optional<std::int64_t> supersedes;
    };

    std::vector<Encounter> encountersOf(std::int64_t patientId)
    {
        Poco::Data::Session s = _host->database().session();
        Poco::Int64 pid = patientId;
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Nullable<Poco::Int64>, Poco::Int64,
            Poco::Nullable<Poco::Int64>, Poco::Int64, std::string, std::string, std::string, Poco::Int64,
            Poco::Int64>>
            rows;
        s << "SELECT id, root_id, supersedes, version, appointment_id, doctor_id, summary, diagnoses, notes,"
             " created_at, created_by FROM records_encounters WHERE patient_id = ? ORDER BY id",
            use(pid), into(rows), now;
        std::vector<Encounter> out;
        for (const auto& r : rows) {
            Encounter e;
            e.id = r.get<0>();
            e.root = r.get<1>() ? r.get<1>() : e.id;
            e.supersedes = optional(r.get<2>());
            auto o = clinic::makeObject();
            o->set("id", r.get<0>());
            o->set("patient_id", static_cast<Poco::Int64>(patientId));
            o->set("version", r.get<3>());
            setOptional(o, "supersedes", e.supersedes);
            setOptional(o, "appointment_id", optional(r.get<4>()));
            o->set("doctor_id", r.get<5>());
            o->set("summary", r.get<6>());
            o->set("diagnoses", Poco::JSON::Parser().parse(r.get<7>()));
            o->set("notes", r.get<8>());
            o->set("created_at", formatRfc3339(r.get<9>()));
            o->set("created_by", r.get<10>());
            e.json = o;
            out.push_back(e);
        }
        return out;
    }

    /// The current version of each encounter, oldest first, each with
    /// "history": its earlier versions, oldest first.
    std::vector<Poco::JSON::Object::Ptr> currentEncounters(std::int64_t patientId)
    {
        auto all = encountersOf(patientId);
        std::set<std::int64_t> superseded;
        for (const auto& e : all)
            if (e.supersedes)
                superseded.insert(*e.supersedes);
        std::vector<Poco::JSON::Object::Ptr> out;
        for (const auto& e : all) {
            if (superseded.count(e.id))
                continue;
            Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
            for (const auto& older : all)
                if (older.root == e.root && older.id != e.id)
                    history->add(older.json);
            auto o = clinic::makeObject();
            for (const auto& key : e.json->getNames())
                o->set(key, e.json->get(key));
            o->set("current", true);
            o->set("history", history);
            out.push_back(o);
        }
        // Most recent corrections sort by their newest version's id.
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a->template getValue<Poco::Int64>("id") < b->template getValue<Poco::Int64>("id");
        });
        return out;
    }

    Response listEncounters(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        clinic::PageRequest page = clinic::readPage(req);
        guard(req, id, PatientData::Clinical, "encounter.list");
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        std::optional<std::string> next;
        for (const auto& e : currentEncounters(id)) {
            if (e->getValue<Poco::Int64>("id") <= page.cursor)
                continue;
            if (items->size() == page.limit) {
                next = std::to_string(
                    items->getObject(static_cast<unsigned>(items->size() - 1))->getValue<Poco::Int64>("id"));
                break;
            }
            items->add(e);
        }
        auditRead(req, "encounter.list", "encounter", "", id);
        return Response::json(clinic::listPage(items, next));
    }

    Response createEncounter(Request& req)
    {
        const std::int64_t patientId = req.idParam("id");
        guard(req, patientId, PatientData::Clinical, "encounter.create");
        auto body = req.jsonObject();
        clinic::FieldReader in(body);
        auto supersedes = in.optionalInt("supersedes", 1, INT64_MAX);
        auto appointment = in.optionalInt("appointment_id", 1, INT64_MAX);
        std::optional<std::int64_t> doctor;
        if (in.has("doctor_id") || req.caller.doctorId <= 0)
            doctor = in.requiredInt("doctor_id", 1, INT64_MAX);
        else
            doctor = req.caller.doctorId; // a doctor writes their own notes
        std::string summary = in.requiredString("summary", 1, 500);
        std::string notes = in.optionalString("notes", 0, 16000).value_or("");
        Poco::JSON::Array::Ptr diagnoses = new Poco::JSON::Array;
        if (in.has("diagnoses")) {
            Poco::Dynamic::Var v = body->get("diagnoses");
            Poco::JSON::Array::Ptr list
                = v.type() == typeid(Poco::JSON::Array::Ptr) ? v.extract<Poco::JSON::Array::Ptr>() : nullptr;
            if (!list || list->size() > 50) {
                in.fail("diagnoses", "must be a list of at most 50 {code, system, text} objects");
            } else {
                for (std::size_t i = 0; i < list->size(); ++i) {
                    const std::string field = "diagnoses[" + std::to_string(i) + "]";
                    auto item = list->getObject(static_cast<unsigned>(i));
                    if (!item) {
                        in.fail(field, "must be an object {code, system, text}");
                        continue;
                    }
                    clinic::FieldReader d(item);
                    std::string code = d.requiredString("code", 1, 10);
                    std::string system = d.optionalString("system", 1, 20).value_or("ICD-10");
                    std::string text = d.optionalString("text", 0, 300).value_or("");
                    if (!d.ok() || !isIcd10Code(code))
                        in.fail(field + ".code", "is not an ICD-10 code (J06.9, I10, E11.65)");
                    if (system != "ICD-10")
                        in.fail(field + ".system", "must be \"ICD-10\"");
                    auto clean = clinic::makeObject();
                    clean->set("code", code);
                    clean->set("system", system);
                    clean->set("text", text);
                    diagnoses->add(clean);
                }
            }
        }
        in.finish();

        Poco::Int64 newId = 0, version = 1;
        _host->database().transact([&](clinic::Transaction& tx) {
            Poco::Int64 pid = patientId, root = 0, createdAt = nowSeconds(), by = req.caller.userId;
            Poco::Nullable<Poco::Int64> previous = nullable(supersedes);
            if (supersedes) {
                Poco::Int64 old = *supersedes;
                std::vector<Poco::Int64> oldPatient, oldRoot, oldVersion;
                tx.session() << "SELECT patient_id, root_id, version FROM records_encounters WHERE id = ?",
                    use(old), into(oldPatient), into(oldRoot), into(oldVersion), now;
                if (oldPatient.empty() || oldPatient.front() != patientId)
                    throw HttpError::validation({{"supersedes", "is not an encounter of this patient"}});
                Poco::Int64 corrections = 0;
                tx.session() << "SELECT COUNT(*) FROM records_encounters WHERE supersedes = ?", use(old),
                    into(corrections), now;
                if (corrections > 0)
                    throw HttpError::conflict(
                        "that version was already corrected; correct the current version");
                root = oldRoot.front() ? oldRoot.front() : old;
                version = oldVersion.front() + 1;
            }
            Poco::Nullable<Poco::Int64> appt = nullable(appointment);
            Poco::Int64 doc = *doctor;
            std::string diag = clinic::toJson(diagnoses);
            try {
                tx.session()
                    << "INSERT INTO records_encounters (patient_id, root_id, supersedes, version,"
                       " appointment_id, doctor_id, summary, diagnoses, notes, created_at, created_by)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    use(pid), use(root), use(previous), use(version), use(appt), use(doc), use(summary),
                    use(diag), use(notes), use(createdAt), use(by), now;
            } catch (const std::exception& e) {
                if (_host->database().isUniqueViolation(e))
                    throw HttpError::conflict(
                        "that version was already corrected; correct the current version");
                throw;
            }
            newId = tx.lastInsertId();
            auditWrite(tx, req, supersedes ? "encounter.correct" : "encounter.create", "encounter", newId,
                patientId);
        });
        for (const auto& e : encountersOf(patientId))
            if (e.id == newId) {
                Response r = Response::json(e.json, 201);
                r.headers.emplace_back(
                    "Location", "/api/v1/patients/" + std::to_string(patientId) + "/encounters");
                return r;
            }
        throw std::runtime_error("the new encounter is not readable");
    }

    // ---- vitals ---------------------------------------------------------------

    Poco::JSON::Array::Ptr vitalsOf(
        std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next)
    {
        Poco::Data::Session s = _host->database().session();
        Poco::Int64 pid = patientId,
                    lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
        std::vector<
            Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Nullable<Poco::Int64>, Poco::Nullable<Poco::Int64>,
                Poco::Nullable<Poco::Int64>, Poco::Nullable<double>, Poco::Nullable<double>,
                Poco::Nullable<double>, Poco::Nullable<Poco::Int64>, Poco::Int64, Poco::Int64>>
            rows;
        s << "SELECT id, taken_at, systolic, diastolic, pulse, temperature_c, weight_kg, height_cm, spo2,"
             " created_at, created_by FROM records_vitals WHERE patient_id = ? AND id > ? ORDER BY id LIMIT "
             "?",
            use(pid), use(after), use(lim), into(rows), now;
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            if (row == pageSize) {
                next = std::to_string(rows[row - 1].get<0>());
                break;
            }
            const auto& r = rows[row];
            auto o = clinic::makeObject();
            o->set("id", r.get<0>());
            o->set("patient_id", static_cast<Poco::Int64>(patientId));
            o->set("taken_at", formatRfc3339(r.get<1>()));
            setOptional(o, "systolic", optional(r.get<2>()));
            setOptional(o, "diastolic", optional(r.get<3>()));
            setOptional(o, "pulse", optional(r.get<4>()));
            setOptional(o, "temperature_c", optional(r.get<5>()));
            setOptional(o, "weight_kg", optional(r.get<6>()));
            setOptional(o, "height_cm", optional(r.get<7>()));
            setOptional(o, "spo2", optional(r.get<8>()));
            o->set("created_at", formatRfc3339(r.get<9>()));
            o->set("created_by", r.get<10>());
            items->add(o);
        }
        return items;
    }

    Response listVitals(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        clinic::PageRequest page = clinic::readPage(req);
        guard(req, id, PatientData::Clinical, "vitals.list");
        std::optional<std::string> next;
        auto items = vitalsOf(id, page.cursor, page.limit, next);
        auditRead(req, "vitals.list", "vitals", "", id);
        return Response::json(clinic::listPage(items, next));
    }

    Response createVitals(Request& req)
    {
        const std::int64_t patientId = req.idParam("id");
        guard(req, patientId, PatientData::Clinical, "vitals.create");
        auto body = req.jsonObject();
        clinic::FieldReader in(body);
        const std::int64_t takenAt = readInstant(in, "taken_at", nowSeconds());
        // Outside these ranges a reading is a typo or a broken device, not a patient.
        auto systolic = in.optionalInt("systolic", 40, 300);
        auto diastolic = in.optionalInt("diastolic", 20, 200);
        auto pulse = in.optionalInt("pulse", 20, 300);
        auto temperature = in.optionalNumber("temperature_c", 25.0, 45.0);
        auto weight = in.optionalNumber("weight_kg", 0.2, 500.0);
        auto height = in.optionalNumber("height_cm", 20.0, 280.0);
        auto spo2 = in.optionalInt("spo2", 50, 100);
        if (systolic && diastolic && *diastolic >= *systolic)
            in.fail("diastolic", "must be below systolic");
        if (in.has("systolic") != in.has("diastolic"))
            in.fail(in.has("systolic") ? "diastolic" : "systolic",
                "blood pressure needs both systolic and diastolic");
        if (!in.has("systolic") && !in.has("diastolic") && !in.has("pulse") && !in.has("temperature_c")
            && !in.has("weight_kg") && !in.has("height_cm") && !in.has("spo2"))
            in.fail("systolic", "at least one measurement is required");
        in.finish();
        Poco::Int64 newId = 0;
        _host->database().transact([&](clinic::Transaction& tx) {
            Poco::Int64 pid = patientId, at = takenAt, createdAt = nowSeconds(), by = req.caller.userId;
            auto sys = nullable(systolic), dia = nullable(diastolic), pul = nullable(pulse),
                 sat = nullable(spo2);
            auto tmp = nullable(temperature), wt = nullable(weight), ht = nullable(height);
            tx.session() << "INSERT INTO records_vitals (patient_id, taken_at, systolic, diastolic, pulse,"
                            " temperature_c, weight_kg, height_cm, spo2, created_at, created_by)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                use(pid), use(at), use(sys), use(dia), use(pul), use(tmp), use(wt), use(ht), use(sat),
                use(createdAt), use(by), now;
            newId = tx.lastInsertId();
            auditWrite(tx, req, "vitals.create", "vitals", newId, patientId);
        });
        std::optional<std::string> next;
        auto items = vitalsOf(patientId, newId - 1, 1, next);
        return Response::json(items->getObject(0), 201);
    }

    // ---- lab results ----------------------------------------------------------

    Poco::JSON::Array::Ptr labResultsOf(
        std::int64_t patientId, Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next)
    {
        Poco::Data::Session s = _host->database().session();
        Poco::Int64 pid = patientId,
                    lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
            Poco::Int64, Poco::Int64, Poco::Int64>>
            rows;
        s << "SELECT id, test, result_value, unit, reference_range, flag, taken_at, created_at, created_by"
             " FROM records_lab_results WHERE patient_id = ? AND id > ? ORDER BY id LIMIT ?",
            use(pid), use(after), use(lim), into(rows), now;
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            if (row == pageSize) {
                next = std::to_string(rows[row - 1].get<0>());
                break;
            }
            const auto& r = rows[row];
            auto o = clinic::makeObject();
            o->set("id", r.get<0>());
            o->set("patient_id", static_cast<Poco::Int64>(patientId));
            o->set("test", r.get<1>());
            o->set("value", r.get<2>());
            o->set("unit", r.get<3>());
            o->set("reference_range", r.get<4>());
            o->set("flag", r.get<5>());
            o->set("taken_at", formatRfc3339(r.get<6>()));
            o->set("created_at", formatRfc3339(r.get<7>()));
            o->set("created_by", r.get<8>());
            items->add(o);
        }
        return items;
    }

    Response listLabResults(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        clinic::PageRequest page = clinic::readPage(req);
        guard(req, id, PatientData::Clinical, "lab_result.list");
        std::optional<std::string> next;
        auto items = labResultsOf(id, page.cursor, page.limit, next);
        auditRead(req, "lab_result.list", "lab_result", "", id);
        return Response::json(clinic::listPage(items, next));
    }

    Response createLabResult(Request& req)
    {
        const std::int64_t patientId = req.idParam("id");
        guard(req, patientId, PatientData::Clinical, "lab_result.create");
        auto body = req.jsonObject();
        clinic::FieldReader in(body);
        std::string test = in.requiredString("test", 1, 200);
        // A value is a number (5.4) or text ("positive", "<0.01"): both kept as text.
        std::string value;
        if (body->has("value") && !body->isNull("value") && body->get("value").isNumeric()
            && !body->get("value").isBoolean())
            value = body->get("value").convert<std::string>();
        else
            value = in.requiredString("value", 1, 200);
        std::string unit = in.optionalString("unit", 0, 50).value_or("");
        std::string range = in.optionalString("reference_range", 0, 100).value_or("");
        std::string flag = in.optionalString("flag", 1, 8).value_or("normal");
        if (flag != "low" && flag != "normal" && flag != "high" && flag != "critical")
            in.fail("flag", "must be one of low, normal, high, critical");
        const std::int64_t takenAt = readInstant(in, "taken_at", nowSeconds());
        in.finish();
        Poco::Int64 newId = 0;
        _host->database().transact([&](clinic::Transaction& tx) {
            Poco::Int64 pid = patientId, at = takenAt, createdAt = nowSeconds(), by = req.caller.userId;
            tx.session()
                << "INSERT INTO records_lab_results (patient_id, test, result_value, unit, reference_range,"
                   " flag, taken_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                use(pid), use(test), use(value), use(unit), use(range), use(flag), use(at), use(createdAt),
                use(by), now;
            newId = tx.lastInsertId();
            auditWrite(tx, req, "lab_result.create", "lab_result", newId, patientId);
        });
        std::optional<std::string> next;
        auto items = labResultsOf(patientId, newId - 1, 1, next);
        return Response::json(items->getObject(0), 201);
    }

    // ---- documents ------------------------------------------------------------

    struct Document {
        Poco::JSON::Object::Ptr json;
        std::string contentType;
        std::string filename;
        std::string sha256;
    };

    std::vector<Document> documentsOf(std::int64_t patientId, std::optional<std::int64_t> only,
        Poco::Int64 after, std::size_t pageSize, std::optional<std::string>& next)
    {
        Poco::Data::Session s = _host->database().session();
        Poco::Int64 pid = patientId, docId = only.value_or(0),
                    lim = static_cast<Poco::Int64>(std::min<std::size_t>(pageSize, 1000000) + 1);
        std::vector<Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, std::string,
            Poco::Int64, Poco::Int64>>
            rows;
        if (only)
            s << "SELECT id, kind, filename, content_type, size_bytes, sha256, created_at, created_by"
                 " FROM records_documents WHERE patient_id = ? AND id = ?",
                use(pid), use(docId), into(rows), now;
        else
            s << "SELECT id, kind, filename, content_type, size_bytes, sha256, created_at, created_by"
                 " FROM records_documents WHERE patient_id = ? AND id > ? ORDER BY id LIMIT ?",
                use(pid), use(after), use(lim), into(rows), now;
        std::vector<Document> out;
        for (std::size_t row = 0; row < rows.size(); ++row) {
            if (row == pageSize) {
                next = std::to_string(rows[row - 1].get<0>());
                break;
            }
            const auto& r = rows[row];
            Document d;
            const std::int64_t id = r.get<0>();
            d.filename = r.get<2>();
            d.contentType = r.get<3>();
            d.sha256 = r.get<5>();
            auto o = clinic::makeObject();
            o->set("id", r.get<0>());
            o->set("patient_id", static_cast<Poco::Int64>(patientId));
            o->set("kind", r.get<1>());
            o->set("filename", d.filename);
            o->set("content_type", d.contentType);
            o->set("size_bytes", r.get<4>());
            o->set("sha256", d.sha256);
            o->set("created_at", formatRfc3339(r.get<6>()));
            o->set("created_by", r.get<7>());
            o->set("content_url",
                "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(id)
                    + "/content");
            d.json = o;
            out.push_back(d);
        }
        return out;
    }

    /// Stores content under documents/<sha256> (the name never comes from the
    /// client) and records its row and audit event; returns the new id.
    std::int64_t storeDocument(Request& req, std::int64_t patientId, const std::string& content,
        const std::string& contentType, const std::string& kind, const std::string& filename,
        const std::string& action)
    {
        const std::string sha = sha256Hex(content);
        const std::string path = _documentsDir + "/" + sha;
        bool created = false;
        if (!Poco::File(path).exists()) {
            // Written aside and renamed, so a reader never sees half a file.
            const std::string temp
                = path + ".part-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
            {
                std::ofstream out(temp, std::ios::binary | std::ios::trunc);
                out.write(content.data(), static_cast<std::streamsize>(content.size()));
                out.close();
                if (!out) {
                    Poco::File(temp).remove();
                    throw std::runtime_error("cannot write a document to " + _documentsDir);
                }
            }
            Poco::File(temp).renameTo(path);
            created = true;
        }
        Poco::Int64 newId = 0;
        try {
            _host->database().transact([&](clinic::Transaction& tx) {
                Poco::Int64 pid = patientId, size = static_cast<Poco::Int64>(content.size()),
                            at = nowSeconds(), by = req.caller.userId;
                std::string k = kind, f = filename, t = contentType, h = sha;
                tx.session()
                    << "INSERT INTO records_documents (patient_id, kind, filename, content_type, size_bytes,"
                       " sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    use(pid), use(k), use(f), use(t), use(size), use(h), use(at), use(by), now;
                newId = tx.lastInsertId();
                auditWrite(tx, req, action, "document", newId, patientId);
            });
        } catch (...) {
            if (created)
                Poco::File(path).remove();
            throw;
        }
        return newId;
    }

    Response listDocuments(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        clinic::PageRequest page = clinic::readPage(req);
        guard(req, id, PatientData::Clinical, "document.list");
        std::optional<std::string> next;
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (const auto& d : documentsOf(id, std::nullopt, page.cursor, page.limit, next))
            items->add(d.json);
        auditRead(req, "document.list", "document", "", id);
        return Response::json(clinic::listPage(items, next));
    }

    Document oneDocument(Request& req, std::int64_t patientId)
    {
        const std::int64_t docId = req.idParam("doc_id");
        std::optional<std::string> next;
        auto found = documentsOf(patientId, docId, 0, 1, next);
        if (found.empty())
            throw HttpError::notFound("no such document");
        return found.front();
    }

    Response getDocument(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        guard(req, id, PatientData::Clinical, "document.read");
        Document d = oneDocument(req, id);
        auditRead(req, "document.read", "document", req.param("doc_id"), id);
        return Response::json(d.json);
    }

    Response documentContent(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        guard(req, id, PatientData::Clinical, "document.download");
        Document d = oneDocument(req, id);
        // The stored hash is the only thing that names the file; check its
        // shape anyway so a damaged row can never point outside the folder.
        if (d.sha256.size() != 64 || d.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
            throw std::runtime_error("document " + std::to_string(id) + " has a malformed hash");
        std::ifstream in(_documentsDir + "/" + d.sha256, std::ios::binary);
        if (!in)
            throw std::runtime_error("document content missing from " + _documentsDir);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        auditRead(req, "document.download", "document", req.param("doc_id"), id);
        Response r = Response::text(bytes.str(), d.contentType);
        r.headers.emplace_back(
            "Content-Disposition", "attachment; filename=\"" + safeFilename(d.filename) + "\"");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        return r;
    }

    Response uploadDocument(Request& req)
    {
        const std::int64_t patientId = req.idParam("id");
        guard(req, patientId, PatientData::Clinical, "document.create");
        std::map<std::string, std::string> errors;
        const std::string kind = req.query("kind").value_or("other");
        if (kind.empty() || kind.size() > 32
            || kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
            errors["kind"] = "must be 1 to 32 lower-case letters or _";
        const std::string rawName = req.query("filename").value_or("");
        if (rawName.size() > 255)
            errors["filename"] = "is longer than 255 bytes";
        if (req.body.empty())
            errors["body"] = "is empty: send the file as the raw request body";
        if (!errors.empty())
            throw HttpError::validation(errors);
        const std::string type = sniffDocumentType(req.body);
        if (type.empty()) {
            auto details = clinic::makeObject();
            auto fields = clinic::makeObject();
            fields->set("body", "is not a PDF, PNG or JPEG file (judged by its content, not its name)");
            details->set("fields", fields);
            throw HttpError(
                415, "UNSUPPORTED_MEDIA_TYPE", "only PDF, PNG and JPEG documents are accepted", details);
        }
        const std::int64_t docId = storeDocument(req, patientId, req.body, type, kind,
            safeFilename(rawName.empty() ? "document" : rawName), "document.create");
        std::optional<std::string> next;
        auto d = documentsOf(patientId, docId, 0, 1, next).front();
        Response r = Response::json(d.json, 201);
        r.headers.emplace_back("Location",
            "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(docId));
        return r;
    }

    Response createLetter(Request& req)
    {
        const std::int64_t patientId = req.idParam("id");
        guard(req, patientId, PatientData::Clinical, "document.letter");
        auto patient = _patients->find(patientId);
        if (!patient)
            throw HttpError::notFound("no such patient");
        auto body = req.jsonObject();
        clinic::FieldReader in(body);
        const std::string name = in.requiredString("template", 1, 40);
        if (!name.empty() && !kTemplates.count(name))
            in.fail("template", "must be one of referral, medical_certificate, recommendation");
        const std::string language = in.optionalString("language", 2, 2).value_or(patient->language);
        if (language != "en" && language != "ro")
            in.fail("language", "must be \"en\" or \"ro\"");
        std::map<std::string, std::string> values;
        if (in.has("fields")) {
            Poco::Dynamic::Var v = body->get("fields");
            if (v.type() != typeid(Poco::JSON::Object::Ptr)) {
                in.fail("fields", "must be an object of text values");
            } else {
                auto fields = v.extract<Poco::JSON::Object::Ptr>();
                for (const auto& key : fields->getNames()) {
                    auto value = fields->get(key);
                    if (!value.isString() || value.extract<std::string>().size() > 5000
                        || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789")
                            != std::string::npos)
                        in.fail(
                            "fields." + key, "must be text of at most 5000 bytes under a lower-case name");
                    else
                        values[key] = value.extract<std::string>();
                }
            }
        }
        in.finish();
        // What the record knows wins over what the request says.
        values["patient_name"] = patient->firstName + " " + patient->lastName;
        values["patient_first_name"] = patient->firstName;
        values["patient_last_name"] = patient->lastName;
        values["birth_date"] = patient->birthDate;
        values["national_id"] = patient->nationalId;
        values["date"] = _patients->today();
        values["author"] = req.caller.username;

        std::ifstream file(_templatesDir + "/" + language + "/" + name + ".html", std::ios::binary);
        if (!file)
            throw std::runtime_error(
                "letter template missing: " + _templatesDir + "/" + language + "/" + name + ".html");
        std::ostringstream raw;
        raw << file.rdbuf();
        const std::string source = raw.str();
        std::string html;
        std::map<std::string, std::string> missing;
        for (std::size_t pos = 0;;) {
            const auto open = source.find("{{", pos);
            if (open == std::string::npos) {
                html += source.substr(pos);
                break;
            }
            const auto close = source.find("}}", open);
            if (close == std::string::npos) {
                html += source.substr(pos);
                break;
            }
            html += source.substr(pos, open - pos);
            std::string key = Poco::trim(source.substr(open + 2, close - open - 2));
            // {{name?}} may be left out; {{name}} must be given.
            const bool optional = !key.empty() && key.back() == '?';
            if (optional)
                key.pop_back();
            auto found = values.find(key);
            if (found == values.end() && !optional)
                missing["fields." + key] = "is required by the " + name + " template";
            else if (found != values.end())
                html += escapeHtml(found->second);
            pos = close + 2;
        }
        if (!missing.empty())
            throw HttpError::validation(missing);
        const std::string filename = name + "-" + values["date"] + ".html";
        const std::int64_t docId = storeDocument(
            req, patientId, html, "text/html; charset=utf-8", "letter", filename, "document.letter");
        Response r = Response::text(html, "text/html; charset=utf-8", 201);
        r.headers.emplace_back("Location",
            "/api/v1/patients/" + std::to_string(patientId) + "/documents/" + std::to_string(docId));
        r.headers.emplace_back("X-Document-Id", std::to_string(docId));
        return r;
    }

    // ---- export ---------------------------------------------------------------

    Response exportPatient(Request& req)
    {
        const std::int64_t id = req.idParam("id");
        guard(req, id, PatientData::Clinical, "patient.export");
        auto patient = _patients->find(id);
        if (!patient)
            throw HttpError::notFound("no such patient");
        auto out = clinic::makeObject();
        out->set("exported_at", formatRfc3339(nowSeconds()));
        out->set("patient", patient->toJson());
        Poco::JSON::Array::Ptr encounters = new Poco::JSON::Array;
        for (const auto& e : currentEncounters(id))
            encounters->add(e);
        out->set("encounters", encounters);
        std::optional<std::string> next;
        out->set("vitals", vitalsOf(id, 0, SIZE_MAX - 1, next));
        out->set("lab_results", labResultsOf(id, 0, SIZE_MAX - 1, next));
        Poco::JSON::Array::Ptr documents = new Poco::JSON::Array;
        for (const auto& d : documentsOf(id, std::nullopt, 0, SIZE_MAX - 1, next))
            documents->add(d.json);
        out->set("documents", documents);
        auditRead(req, "patient.export", "patient", std::to_string(id), id);
        Response r = Response::json(out);
        r.headers.emplace_back(
            "Content-Disposition", "attachment; filename=\"patient-" + std::to_string(id) + "-export.json\"");
        return r;
    }

    clinic::Host* _host = nullptr;
    std::shared_ptr<PatientDirectory> _patients;
    std::size_t _maxDocumentBytes = 0;
    std::string _templatesDir;
    std::string _documentsDir;
};

} // namespace records

CLINIC_PLUGIN(records::RecordsPlugin)
