// Patients: search, registration and changes to their details.

#include "RecordsPlugin.h"

#include <string>
#include <vector>

#include <Poco/JSON/Array.h>

#include "clinic/Audit.h"

namespace records {

Response RecordsPlugin::listPatients(Request& req)
{
    clinic::PageRequest page = clinic::readPage(req);
    PatientPage found = _patients->search(req.query("q").value_or(""), page.cursor, page.limit);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    std::vector<std::int64_t> shown;
    for (const auto& p : found.items)
        if (_host->access().maySee(req.caller, p.id, PatientData::Demographics)) {
            items->add(p.toJson(_host->access().maySee(req.caller, p.id, PatientData::Clinical)));
            shown.push_back(p.id);
        }
    // One row per patient shown, so "who saw patient X" finds searches
    // and list pages too, not only direct reads. The search text itself is
    // not recorded (it may be a name or a national id).
    const std::string action = req.query("q") ? "patient.search" : "patient.list";
    _host->database().transact([&](clinic::Transaction& tx) {
        if (shown.empty())
            _host->audit().record(tx, req, clinic::AuditEvent {action, "patient", "", 0, "ok", ""});
        for (std::int64_t id : shown)
            _host->audit().record(
                tx, req, clinic::AuditEvent {action, "patient", std::to_string(id), id, "ok", ""});
    });
    return Response::json(clinic::listPage(items, found.nextCursor));
}

Response RecordsPlugin::createPatient(Request& req)
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
        // Allergies are clinical: a role that may not read them may not
        // write them either (rolled back with the record).
        if (!p.allergies.empty() && !_host->access().maySee(req.caller, p.id, PatientData::Clinical))
            throw HttpError::forbidden("your role may not record allergies (clinical data)");
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
    Response r
        = Response::json(p.toJson(_host->access().maySee(req.caller, p.id, PatientData::Clinical)), 201);
    r.headers.emplace_back("Location", "/api/v1/patients/" + std::to_string(p.id));
    return r;
}

Response RecordsPlugin::getPatient(Request& req)
{
    const std::int64_t id = req.idParam("id");
    guard(req, id, PatientData::Demographics, "patient.read");
    auto p = _patients->find(id);
    if (!p)
        throw HttpError::notFound("no such patient");
    auditRead(req, "patient.read", "patient", std::to_string(id), id);
    return Response::json(p->toJson(_host->access().maySee(req.caller, id, PatientData::Clinical)));
}

Response RecordsPlugin::patchPatient(Request& req)
{
    const std::int64_t id = req.idParam("id");
    guard(req, id, PatientData::Demographics, "patient.update");
    auto body = req.jsonObject();
    // Allergies are clinical data, which prescribing rules rely on: only a
    // role that may read them changes them (refusal audited as denied).
    if (body->has("allergies"))
        guard(req, id, PatientData::Clinical, "patient.update");
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
        const bool identity = body->has("national_id") || body->has("first_name") || body->has("last_name")
            || body->has("birth_date");
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
        // The row names what changed (never the values), so "who cleared
        // these allergies" has an answer.
        const std::string changed = p.changedFields(*current);
        _host->audit().record(tx, req,
            clinic::AuditEvent {"patient.update", "patient", std::to_string(id), id, "ok",
                changed.empty() ? "no change" : "changed: " + changed});
    });
    return Response::json(p.toJson(_host->access().maySee(req.caller, id, PatientData::Clinical)));
}

} // namespace records
