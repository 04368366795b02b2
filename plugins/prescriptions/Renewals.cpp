// Renewals: a patient asks for one, a doctor approves it (a new prescription
// with the same items, linked to the old one and checked by the clinic's
// rules like any other) or declines it with a reason.

#include "PrescriptionsPlugin.h"

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <prometheus/counter.h>

#include "clinic/Audit.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace prescriptions {

namespace {

/// The items of a stored prescription as input for its renewal.
std::vector<ItemInput> itemsOf(const Poco::JSON::Object::Ptr& p, DrugCatalogue& catalogue)
{
    std::vector<ItemInput> out;
    auto items = p->getArray("items");
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        if (!item->isNull("drug_id"))
            ids.push_back(item->getValue<Poco::Int64>("drug_id"));
    }
    auto drugs = catalogue.byIds(ids);
    for (std::size_t i = 0; i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        ItemInput line;
        if (!item->isNull("drug_id")) {
            auto d = drugs.find(item->getValue<Poco::Int64>("drug_id"));
            if (d != drugs.end())
                line.drug = d->second;
        }
        if (!line.drug)
            line.drugText = item->getValue<std::string>("drug");
        line.dose = item->getValue<std::string>("dose");
        line.route = item->getValue<std::string>("route");
        line.frequency = item->getValue<std::string>("frequency");
        line.durationDays = item->getValue<Poco::Int64>("duration_days");
        line.quantity = item->getValue<Poco::Int64>("quantity");
        line.refills = item->getValue<Poco::Int64>("refills");
        if (!item->isNull("dose_mg"))
            line.doseMg = item->getValue<double>("dose_mg");
        if (!item->isNull("doses_per_day"))
            line.dosesPerDay = item->getValue<Poco::Int64>("doses_per_day");
        out.push_back(std::move(line));
    }
    return out;
}

} // namespace

Response PrescriptionsPlugin::requestRenewal(Request& req)
{
    auto p = visiblePrescription(req, "renewal.request");
    auto body = req.body.empty() ? clinic::makeObject() : req.jsonObject();
    clinic::FieldReader in(body);
    std::string note = in.optionalString("note", 0, 1000).value_or("");
    in.finish();
    if (p->getValue<std::string>("status") == "cancelled")
        throw HttpError::conflict("a cancelled prescription cannot be renewed");
    Poco::Int64 prescription = p->getValue<Poco::Int64>("id"),
                patient = p->getValue<Poco::Int64>("patient_id"),
                doctorId = p->getValue<Poco::Int64>("doctor_id"), at = nowSeconds(), by = req.caller.userId;
    std::int64_t id = 0;
    try {
        _host->database().transact([&](clinic::Transaction& tx) {
            std::string status = "pending";
            tx.session()
                << "INSERT INTO prescriptions_renewal_requests (prescription_id, patient_id, status, note,"
                   " requested_at, requested_by, open_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                use(prescription), use(patient), use(status), use(note), use(at), use(by), use(prescription),
                now;
            id = tx.lastInsertId();
            _host->audit().record(tx, req,
                clinic::AuditEvent {
                    "renewal.request", "renewal_request", std::to_string(id), patient, "ok", ""});
            auto payload = clinic::makeObject();
            payload->set("renewal_request_id", static_cast<Poco::Int64>(id));
            payload->set("prescription_id", prescription);
            payload->set("patient_id", patient);
            payload->set("doctor_id", doctorId);
            _host->events().publish(tx, clinic::Event {"prescription.renewal_requested", payload});
        });
    } catch (const std::exception& e) {
        if (_host->database().isUniqueViolation(e))
            throw HttpError::conflict("a renewal of this prescription is already waiting for the doctor");
        throw;
    }
    auto out = _store->one(prescription, nowSeconds());
    auto requests = out->getArray("renewal_requests");
    return Response::json(requests->getObject(static_cast<unsigned>(requests->size() - 1)), 201);
}

namespace {

/// The request and its prescription, for a doctor's decision: 404 for an
/// unknown request, 409 for a decided one.
std::optional<RenewalRequest> pendingRequest(PrescriptionStore& store, std::int64_t id)
{
    auto r = store.renewal(id);
    if (!r)
        throw HttpError::notFound("no such renewal request");
    if (r->status != "pending")
        throw HttpError::conflict("this renewal request was already " + r->status);
    return r;
}

} // namespace

Response PrescriptionsPlugin::approveRenewal(Request& req)
{
    const std::int64_t doctorId = callerDoctor(req);
    const std::int64_t rid = req.idParam("rid");
    auto r = _store->renewal(rid);
    if (!r)
        throw HttpError::notFound("no such renewal request");
    guard(req, r->patientId, "renewal.approve", std::to_string(rid));
    r = pendingRequest(*_store, rid);
    auto body = req.body.empty() ? clinic::makeObject() : req.jsonObject();
    clinic::FieldReader fields(body);
    auto overrideReason = fields.optionalString("override_reason", 1, 500);
    fields.finish();
    auto old = _store->one(r->prescriptionId, nowSeconds());
    PrescriptionInput in;
    in.patientId = r->patientId;
    in.doctorId = doctorId;
    in.items = itemsOf(old, *_catalogue);
    in.notes = old->getValue<std::string>("notes");
    in.overrideReason = overrideReason;
    in.renewalOf = r->prescriptionId;
    const auto overridden = checkRules(req, in);
    const std::string doctor = doctorName(doctorId);
    std::int64_t id = 0;
    _host->database().transact([&](clinic::Transaction& tx) {
        id = issue(tx, req, in, overridden, doctor, "renewal_approved");
        Poco::Int64 at = nowSeconds(), by = req.caller.userId, renewal = id, key = rid;
        Poco::Data::Statement st(tx.session());
        st << "UPDATE prescriptions_renewal_requests SET status = 'approved', decided_at = ?, decided_by = ?,"
              " renewal_id = ?, open_key = NULL WHERE id = ? AND status = 'pending'",
            use(at), use(by), use(renewal), use(key);
        if (st.execute() != 1)
            throw HttpError::conflict("this renewal request was decided meanwhile");
    });
    (overridden.empty() ? _issued : _overridden)->Increment();
    return Response::json(_store->one(id, nowSeconds()), 201);
}

Response PrescriptionsPlugin::declineRenewal(Request& req)
{
    callerDoctor(req);
    const std::int64_t rid = req.idParam("rid");
    auto r = _store->renewal(rid);
    if (!r)
        throw HttpError::notFound("no such renewal request");
    guard(req, r->patientId, "renewal.decline", std::to_string(rid));
    clinic::FieldReader in(req.jsonObject());
    std::string reason = in.requiredString("reason", 1, 500);
    in.finish();
    r = pendingRequest(*_store, rid);
    auto old = _store->one(r->prescriptionId, nowSeconds());
    std::string summary;
    auto items = old->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        summary += (summary.empty() ? "" : ", ")
            + items->getObject(static_cast<unsigned>(i))->getValue<std::string>("drug");
    const std::string doctor = doctorName(old->getValue<Poco::Int64>("doctor_id"));
    _host->database().transact([&](clinic::Transaction& tx) {
        Poco::Int64 at = nowSeconds(), by = req.caller.userId, key = rid;
        Poco::Data::Statement st(tx.session());
        st << "UPDATE prescriptions_renewal_requests SET status = 'declined', decided_at = ?, decided_by = ?,"
              " reason = ?, open_key = NULL WHERE id = ? AND status = 'pending'",
            use(at), use(by), use(reason), use(key);
        if (st.execute() != 1)
            throw HttpError::conflict("this renewal request was decided meanwhile");
        _host->audit().record(tx, req,
            clinic::AuditEvent {"renewal.decline", "renewal_request", std::to_string(rid), r->patientId, "ok",
                reason.substr(0, 255)});
        // Keyed by the request too: a prescription may be declined more than once.
        scheduleNotice(tx, r->prescriptionId, r->patientId, doctor, "renewal_declined", summary,
            "notice:prescription:" + std::to_string(r->prescriptionId)
                + ":renewal_declined:" + std::to_string(rid));
    });
    auto out = _store->one(r->prescriptionId, nowSeconds());
    auto requests = out->getArray("renewal_requests");
    for (std::size_t i = 0; i < requests->size(); ++i)
        if (requests->getObject(static_cast<unsigned>(i))->getValue<Poco::Int64>("id") == rid)
            return Response::json(requests->getObject(static_cast<unsigned>(i)));
    throw HttpError::notFound("no such renewal request");
}

} // namespace prescriptions
