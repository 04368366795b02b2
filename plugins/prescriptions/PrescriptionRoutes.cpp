// Reading and cancelling prescriptions, and the drug catalogue search. Who
// may call a route is declared with it (PrescriptionsPlugin.cpp); within
// that, the kernel's access policy decides per patient, and every read,
// write and refusal is an audit row.

#include "PrescriptionsPlugin.h"

#include <limits>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <prometheus/counter.h>

#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace prescriptions {

void PrescriptionsPlugin::guard(
    Request& req, std::int64_t patientId, const std::string& action, const std::string& objectId)
{
    try {
        _host->access().require(req, patientId, clinic::PatientData::Clinical);
    } catch (const HttpError&) {
        // The refusal stands even if its audit row cannot be written: a 500
        // here would tell a prober which prescriptions exist.
        try {
            _host->audit().record(
                req, clinic::AuditEvent {action, "prescription", objectId, patientId, "denied", ""});
        } catch (const std::exception& e) {
            _host->logger().error("could not audit a denied %s: %s", action, std::string(e.what()));
        }
        throw;
    }
}

void PrescriptionsPlugin::auditRead(
    Request& req, const std::string& action, const std::string& objectId, std::int64_t patientId)
{
    _host->audit().record(req, clinic::AuditEvent {action, "prescription", objectId, patientId, "ok", ""});
}

Poco::JSON::Object::Ptr PrescriptionsPlugin::visiblePrescription(Request& req, const std::string& action)
{
    const std::int64_t id = req.idParam("id");
    auto p = _store->one(id, nowSeconds());
    if (!p)
        throw HttpError::notFound("no such prescription");
    guard(req, p->getValue<Poco::Int64>("patient_id"), action, std::to_string(id));
    return p;
}

Response PrescriptionsPlugin::searchDrugs(Request& req)
{
    std::map<std::string, std::string> errors;
    const clinic::PageRequest page = clinic::readPage(req, errors);
    const std::string q = req.query("q").value_or("");
    if (q.size() > 191)
        errors["q"] = "at most 191 bytes";
    if (!errors.empty())
        throw HttpError::validation(errors);
    auto drugs = _catalogue->search(q, page.cursor, page.limit + 1);
    return Response::json(clinic::idCursorPage(
        page, drugs, [](const Drug& d) { return d.toJson(); }, [](const Drug& d) { return d.id; }));
}

Response PrescriptionsPlugin::listPrescriptions(Request& req)
{
    std::map<std::string, std::string> errors;
    PrescriptionFilter filter;
    const clinic::PageRequest page = clinic::readPage(req, errors);
    filter.after = page.cursor;
    filter.limit = page.limit;
    filter.patientId = req.queryInt("patient_id", 1, std::numeric_limits<std::int64_t>::max(), errors);
    filter.doctorId = req.queryInt("doctor_id", 1, std::numeric_limits<std::int64_t>::max(), errors);
    filter.status = req.query("status");
    if (filter.status && *filter.status != "active" && *filter.status != "completed"
        && *filter.status != "cancelled")
        errors["status"] = "must be active, completed or cancelled";
    if (!errors.empty())
        throw HttpError::validation(errors);
    // A patient lists their own; naming another patient is that patient's 404.
    if (req.caller.role == "patient" && !filter.patientId)
        filter.patientId = req.caller.patientId;
    if (filter.patientId)
        guard(req, *filter.patientId, "prescription.list", "");
    auto rows = _store->list(filter, nowSeconds());
    // Without a patient, a doctor who sees only their own patients gets only
    // theirs: rows of others are left out, the page still ends where it did.
    auto out = clinic::idCursorPage(
        page, rows,
        [&](const ListedPrescription& r) -> Poco::JSON::Object::Ptr {
            return _host->access().maySee(req.caller, r.patientId, clinic::PatientData::Clinical) ? r.json
                                                                                                  : nullptr;
        },
        [](const ListedPrescription& r) { return r.id; });
    auditRead(req, "prescription.list", "", filter.patientId.value_or(0));
    return Response::json(out);
}

Response PrescriptionsPlugin::getPrescription(Request& req)
{
    auto p = visiblePrescription(req, "prescription.read");
    auditRead(req, "prescription.read", std::to_string(p->getValue<Poco::Int64>("id")),
        p->getValue<Poco::Int64>("patient_id"));
    return Response::json(p);
}

Response PrescriptionsPlugin::cancelPrescription(Request& req)
{
    callerDoctor(req);
    auto p = visiblePrescription(req, "prescription.cancel");
    clinic::FieldReader in(req.jsonObject());
    std::string reason = in.requiredString("reason", 1, 500);
    in.finish();
    Poco::Int64 id = p->getValue<Poco::Int64>("id"), patient = p->getValue<Poco::Int64>("patient_id"),
                doctorId = p->getValue<Poco::Int64>("doctor_id"), at = nowSeconds(), by = req.caller.userId;
    std::string summary;
    auto items = p->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        summary += (summary.empty() ? "" : ", ")
            + items->getObject(static_cast<unsigned>(i))->getValue<std::string>("drug");
    const std::string doctor = doctorName(doctorId);
    _host->database().transact([&](clinic::Transaction& tx) {
        Poco::Data::Statement st(tx.session());
        st << "UPDATE prescriptions_prescriptions SET status = 'cancelled', cancelled_at = ?, cancelled_by = "
              "?,"
              " cancel_reason = ? WHERE id = ? AND status = 'active' AND ends_at > ?",
            use(at), use(by), use(reason), use(id), use(at);
        if (st.execute() != 1)
            throw HttpError::conflict("only an active prescription can be cancelled; this one is "
                + p->getValue<std::string>("status"));
        _host->audit().record(tx, req,
            clinic::AuditEvent {
                "prescription.cancel", "prescription", std::to_string(id), patient, "ok", ""});
        auto payload = clinic::makeObject();
        payload->set("prescription_id", id);
        payload->set("patient_id", patient);
        payload->set("doctor_id", doctorId);
        _host->events().publish(tx, clinic::Event {"prescription.cancelled", payload});
        scheduleNotice(tx, id, patient, doctor, "cancelled", summary,
            "notice:prescription:" + std::to_string(id) + ":cancelled");
    });
    return Response::json(_store->one(id, nowSeconds()));
}

} // namespace prescriptions
