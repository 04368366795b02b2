// The GDPR export: everything the record holds about one patient.

#include "RecordsPlugin.h"

#include <optional>
#include <string>

#include <Poco/JSON/Array.h>

#include "RecordChecks.h"

namespace records {

Response RecordsPlugin::exportPatient(Request& req)
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
    // What other plugins hold about the patient (prescriptions, ...), each
    // read through the section its plugin added.
    for (const auto& [name, section] : _exportSections->sections())
        out->set(name, section->exportFor(id));
    auditRead(req, "patient.export", "patient", std::to_string(id), id);
    Response r = Response::json(out);
    r.headers.emplace_back(
        "Content-Disposition", "attachment; filename=\"patient-" + std::to_string(id) + "-export.json\"");
    return r;
}

} // namespace records
