// Encounters: append-only, each change a new version of the visit.

#include "RecordsPlugin.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include "RecordChecks.h"
#include "clinic/scheduling/Appointments.h"

using namespace Poco::Data::Keywords;

namespace records {

std::vector<RecordsPlugin::Encounter> RecordsPlugin::encountersOf(std::int64_t patientId)
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

std::vector<Poco::JSON::Object::Ptr> RecordsPlugin::currentEncounters(std::int64_t patientId)
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

Response RecordsPlugin::listEncounters(Request& req)
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

Response RecordsPlugin::createEncounter(Request& req)
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
    // A doctor's signature is their own: no filing under a colleague's id.
    if (req.caller.role == "doctor") {
        if (req.caller.doctorId <= 0)
            throw HttpError::forbidden(
                "this account is linked to no doctor, so it cannot sign encounters; an admin links it first");
        if (in.has("doctor_id") && doctor && *doctor != req.caller.doctorId)
            in.fail("doctor_id", "a doctor files encounters under their own doctor id only");
    }
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
            std::vector<Poco::Int64> oldPatient, oldRoot, oldVersion, oldDoctor;
            tx.session()
                << "SELECT patient_id, root_id, version, doctor_id FROM records_encounters WHERE id = ?",
                use(old), into(oldPatient), into(oldRoot), into(oldVersion), into(oldDoctor), now;
            if (oldPatient.empty() || oldPatient.front() != patientId)
                throw HttpError::validation({{"supersedes", "is not an encounter of this patient"}});
            if (req.caller.role == "doctor" && oldDoctor.front() != req.caller.doctorId)
                throw HttpError::forbidden("only the doctor who wrote an encounter corrects it");
            Poco::Int64 corrections = 0;
            tx.session() << "SELECT COUNT(*) FROM records_encounters WHERE supersedes = ?", use(old),
                into(corrections), now;
            if (corrections > 0)
                throw HttpError::conflict("that version was already corrected; correct the current version");
            root = oldRoot.front() ? oldRoot.front() : old;
            version = oldVersion.front() + 1;
        }
        // The visit must be this patient's: a note filed against another
        // patient's appointment would show up in their history. Without the
        // scheduling plugin there are no appointments to check against.
        if (appointment) {
            auto lookup = _host->services().find<clinic::scheduling::AppointmentLookup>(
                clinic::scheduling::kAppointmentLookupService);
            if (lookup) {
                auto visit = lookup->byId(tx, *appointment);
                if (!visit || visit->patientId != patientId)
                    throw HttpError::validation(
                        {{"appointment_id", "is not an appointment of this patient"}});
            }
        }
        Poco::Nullable<Poco::Int64> appt = nullable(appointment);
        Poco::Int64 doc = *doctor;
        std::string diag = clinic::toJson(diagnoses);
        try {
            tx.session() << "INSERT INTO records_encounters (patient_id, root_id, supersedes, version,"
                            " appointment_id, doctor_id, summary, diagnoses, notes, created_at, created_by)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                use(pid), use(root), use(previous), use(version), use(appt), use(doc), use(summary),
                use(diag), use(notes), use(createdAt), use(by), now;
        } catch (const std::exception& e) {
            if (_host->database().isUniqueViolation(e))
                throw HttpError::conflict("that version was already corrected; correct the current version");
            throw;
        }
        newId = tx.lastInsertId();
        auditWrite(
            tx, req, supersedes ? "encounter.correct" : "encounter.create", "encounter", newId, patientId);
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

} // namespace records
