// Patient (through records.patient_search.v1) and MedicationRequest (through
// prescriptions.history.v1, when the prescriptions plugin is loaded): patient
// data, so every read is checked with the access policy and audited, as the
// JSON API does.

#include <Poco/JSON/Array.h>

#include "FhirApi.h"
#include "FhirSupport.h"
#include "Resources.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/prescriptions/PrescriptionHistory.h"

namespace fhir {

namespace {

using clinic::AuditEvent;
using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;
using clinic::records::PatientFilter;
using clinic::records::PatientSearch;

std::int64_t pathId(const Request& req)
{
    auto id = positiveId(req.param("id"));
    if (!id)
        throw HttpError::notFound("no such resource");
    return *id;
}

/// A patient caller's search is about themself and no one else.
bool isPatient(const Request& req)
{
    return req.caller.role == "patient";
}

} // namespace

Response FhirApi::readPatient(Request& req)
{
    const std::int64_t id = pathId(req);
    try {
        _host.access().require(req, id, PatientData::Demographics);
    } catch (const HttpError&) {
        _host.audit().record(
            req, AuditEvent {"fhir.patient.read", "patient", std::to_string(id), id, "denied", ""});
        throw;
    }
    PatientFilter f;
    f.id = id;
    f.limit = 1;
    auto found = need<PatientSearch>(clinic::records::kPatientSearchService)->search(f);
    if (found.items.empty())
        throw HttpError::notFound("no such Patient");
    _host.audit().record(req, AuditEvent {"fhir.patient.read", "patient", std::to_string(id), id, "ok", ""});
    return resourceAnswer(patientResource(found.items.front()));
}

Response FhirApi::searchPatient(Request& req)
{
    SearchParameters params(req, {"_id", "identifier", "name", "birthdate"});
    PatientFilter f;
    f.id = params.reference("_id", "Patient");
    if (auto identifier = params.one("identifier")) {
        // system|value, |value or value; only the national id system is known.
        const auto bar = identifier->find('|');
        std::string system = bar == std::string::npos ? "" : identifier->substr(0, bar);
        f.nationalId = bar == std::string::npos ? *identifier : identifier->substr(bar + 1);
        if (!system.empty() && system != kNationalIdSystem)
            f.nationalId = std::string("\x01"); // a system the clinic does not issue: matches no one
    }
    f.name = params.one("name");
    for (const auto& value : params.all("birthdate")) {
        auto b = birthDateSearch(value);
        if (b.from && (!f.bornFrom || *b.from > *f.bornFrom))
            f.bornFrom = b.from;
        if (b.to && (!f.bornTo || *b.to < *f.bornTo))
            f.bornTo = b.to;
    }
    if (auto cursor = params.cursor()) {
        auto after = positiveId(*cursor);
        if (!after)
            throw badRequest("INVALID_PARAMETER", "_cursor is not one this server gave out");
        f.afterId = *after;
    }
    if (isPatient(req)) {
        if (f.id && *f.id != req.caller.patientId)
            f.id = -1; // another patient's record: as if it did not exist
        else
            f.id = req.caller.patientId;
    }
    f.limit = params.count();
    std::vector<Poco::JSON::Object::Ptr> shown;
    std::optional<std::string> next;
    if (!f.id || *f.id > 0) {
        auto found = need<PatientSearch>(clinic::records::kPatientSearchService)->search(f);
        for (const auto& p : found.items)
            if (_host.access().maySee(req.caller, p.id, PatientData::Demographics))
                shown.push_back(patientResource(p));
        if (found.next)
            next = std::to_string(*found.next);
    }
    _host.audit().record(req,
        AuditEvent {"fhir.patient.search", "patient", "", shown.size() == 1 && !next ? f.id.value_or(0) : 0,
            "ok", ""});
    return resourceAnswer(searchset(req, base(req), "Patient", shown, next));
}

namespace {

/// The MedicationRequests of one patient, in prescription then item order.
std::vector<Poco::JSON::Object::Ptr> medicationRequests(
    clinic::prescriptions::PrescriptionHistory& history, std::int64_t patientId)
{
    std::vector<Poco::JSON::Object::Ptr> out;
    auto all = history.ofPatient(patientId);
    for (std::size_t i = 0; all && i < all->size(); ++i) {
        auto rx = all->getObject(static_cast<unsigned>(i));
        auto items = rx->getArray("items");
        for (std::size_t item = 0; items && item < items->size(); ++item)
            out.push_back(medicationRequestResource(rx, item));
    }
    return out;
}

/// "<patient>-<prescription>-<item>" as numbers that sort in that order.
std::string sortKey(const std::string& id)
{
    auto parts = compoundId(id, 3);
    if (!parts)
        return id;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%020lld-%06lld", static_cast<long long>((*parts)[1]),
        static_cast<long long>((*parts)[2]));
    return buf;
}

} // namespace

Response FhirApi::readMedicationRequest(Request& req)
{
    auto history = _host.services().find<clinic::prescriptions::PrescriptionHistory>(
        clinic::prescriptions::kPrescriptionHistoryService);
    if (!history)
        throw HttpError::notFound("MedicationRequest is not served: the prescriptions plugin is not loaded");
    auto parts = compoundId(req.param("id"), 3);
    if (!parts)
        throw HttpError::notFound("no such MedicationRequest");
    const std::int64_t patientId = (*parts)[0];
    try {
        _host.access().require(req, patientId, PatientData::Clinical);
    } catch (const HttpError&) {
        _host.audit().record(req,
            AuditEvent {"fhir.medication_request.read", "prescription", std::to_string((*parts)[1]),
                patientId, "denied", ""});
        throw;
    }
    for (const auto& r : medicationRequests(*history, patientId))
        if (r->getValue<std::string>("id") == req.param("id")) {
            _host.audit().record(req,
                AuditEvent {"fhir.medication_request.read", "prescription", std::to_string((*parts)[1]),
                    patientId, "ok", ""});
            return resourceAnswer(r);
        }
    throw HttpError::notFound("no such MedicationRequest");
}

Response FhirApi::searchMedicationRequest(Request& req)
{
    auto history = _host.services().find<clinic::prescriptions::PrescriptionHistory>(
        clinic::prescriptions::kPrescriptionHistoryService);
    if (!history)
        throw HttpError::notFound("MedicationRequest is not served: the prescriptions plugin is not loaded");
    SearchParameters params(req, {"patient", "subject", "status", "_id"});
    auto patient = params.reference("patient", "Patient");
    if (auto subject = params.reference("subject", "Patient")) {
        if (patient && *patient != *subject)
            throw badRequest("INVALID_PARAMETER", "patient and subject name different patients");
        patient = subject;
    }
    auto id = params.one("_id");
    if (!patient && id)
        if (auto parts = compoundId(*id, 3))
            patient = (*parts)[0];
    if (!patient && isPatient(req))
        patient = req.caller.patientId;
    if (!patient)
        throw badRequest("INVALID_PARAMETER", "patient is required (Patient/<id>)");
    auto status = params.one("status");
    // A patient's search of someone else answers like a record that does not exist.
    try {
        _host.access().require(req, *patient, PatientData::Clinical);
    } catch (const HttpError&) {
        _host.audit().record(
            req, AuditEvent {"fhir.medication_request.search", "prescription", "", *patient, "denied", ""});
        throw;
    }
    std::vector<Poco::JSON::Object::Ptr> found;
    for (const auto& r : medicationRequests(*history, *patient))
        if ((!status || r->getValue<std::string>("status") == *status)
            && (!id || r->getValue<std::string>("id") == *id))
            found.push_back(r);
    const auto after = params.cursor();
    std::vector<Poco::JSON::Object::Ptr> shown;
    std::optional<std::string> next;
    for (const auto& r : found) {
        const std::string key = sortKey(r->getValue<std::string>("id"));
        if (after && key <= *after)
            continue;
        if (shown.size() == params.count()) {
            next = sortKey(shown.back()->getValue<std::string>("id"));
            break;
        }
        shown.push_back(r);
    }
    _host.audit().record(
        req, AuditEvent {"fhir.medication_request.search", "prescription", "", *patient, "ok", ""});
    return resourceAnswer(searchset(req, base(req), "MedicationRequest", shown, next));
}

} // namespace fhir
