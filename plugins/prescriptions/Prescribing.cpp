// Issuing a prescription: the body read and checked, the clinic's
// before_prescribe rule asked (outside any transaction), then the
// prescription, its items, audit rows, event and notice job written in one
// transaction.

#include "PrescriptionsPlugin.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>
#include <regex>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <prometheus/counter.h>

#include "clinic/Audit.h"
#include "clinic/Time.h"
#include "clinic/records/ClinicalSummary.h"
#include "clinic/records/PatientRegistry.h"
#include "clinic/scheduling/Doctors.h"

using namespace Poco::Data::Keywords;

namespace prescriptions {

namespace {

constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();
/// More lines than any prescription pad holds: a bigger list is a client bug or an attack.
constexpr std::size_t kMaxItems = 50;

/// "500 mg", "1 g", "250mg", "0,5 g" as milligrams; nothing for other text.
std::optional<double> milligramsIn(const std::string& dose)
{
    static const std::regex amount(R"(^\s*([0-9]+(?:[.,][0-9]+)?)\s*(mg|g|mcg)\b.*)", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(dose, m, amount))
        return std::nullopt;
    std::string number = m[1].str();
    std::replace(number.begin(), number.end(), ',', '.');
    double value = std::stod(number);
    std::string unit = m[2].str();
    std::transform(unit.begin(), unit.end(), unit.begin(), ::tolower);
    if (unit == "g")
        value *= 1000;
    else if (unit == "mcg")
        value /= 1000;
    return value;
}

/// Whole years between a YYYY-MM-DD birth date and the UTC day of `at`.
std::optional<std::int64_t> ageAt(const std::string& birthDate, std::int64_t at)
{
    int y = 0, m = 0, d = 0;
    if (std::sscanf(birthDate.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3)
        return std::nullopt;
    std::time_t t = static_cast<std::time_t>(at);
    std::tm today {};
    gmtime_r(&t, &today);
    int age = today.tm_year + 1900 - y;
    if (today.tm_mon + 1 < m || (today.tm_mon + 1 == m && today.tm_mday < d))
        --age;
    return age;
}

std::string itemName(const ItemInput& item)
{
    if (!item.drug)
        return item.drugText;
    return item.drug->name + (item.drug->strength.empty() ? "" : " " + item.drug->strength);
}

} // namespace

std::int64_t PrescriptionsPlugin::callerDoctor(const Request& req) const
{
    if (req.caller.doctorId <= 0)
        throw HttpError::forbidden("this account is not linked to a doctor");
    return req.caller.doctorId;
}

PrescriptionInput PrescriptionsPlugin::readPrescription(const Request& req)
{
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    PrescriptionInput out;
    out.patientId = in.requiredInt("patient_id", 1, kMaxId);
    const auto doctorId = in.optionalInt("doctor_id", 1, kMaxId);
    out.doctorId = callerDoctor(req);
    if (doctorId && *doctorId != out.doctorId)
        in.fail("doctor_id", "must be your own doctor id (" + std::to_string(out.doctorId) + ")");
    out.notes = in.optionalString("notes", 0, 4000).value_or("");
    out.overrideReason = in.optionalString("override_reason", 1, 500);

    std::vector<std::pair<std::size_t, std::int64_t>> wanted; // item index, drug id
    if (!body->has("items") || body->isNull("items")) {
        in.fail("items", "is required: at least one item");
    } else if (!body->isArray("items")) {
        in.fail("items", "must be a list of items");
    } else {
        auto items = body->getArray("items");
        if (items->size() == 0)
            in.fail("items", "needs at least one item");
        else if (items->size() > kMaxItems)
            in.fail("items", "at most " + std::to_string(kMaxItems) + " items");
        else
            for (std::size_t i = 0; i < items->size(); ++i) {
                const std::string at = "items[" + std::to_string(i) + "]";
                auto object = items->getObject(static_cast<unsigned>(i));
                if (!object) {
                    in.fail(at, "must be an object");
                    continue;
                }
                clinic::FieldReader item(object);
                ItemInput line;
                const auto drugId = item.optionalInt("drug_id", 1, kMaxId);
                const auto drugText = item.optionalString("drug", 1, 200);
                if (item.has("drug_id") == item.has("drug"))
                    item.fail("drug_id", "give either drug_id (a catalogue entry) or drug (free text)");
                line.drugText = drugText.value_or("");
                line.dose = item.requiredString("dose", 1, 200);
                line.route = item.optionalString("route", 1, 64).value_or("");
                if (!item.has("drug_id") && !item.has("route"))
                    item.fail("route", "is required for a free-text drug");
                line.frequency = item.requiredString("frequency", 1, 200);
                line.durationDays = item.requiredInt("duration_days", 1, 365);
                line.quantity = item.requiredInt("quantity", 1, 10000);
                line.refills = item.optionalInt("refills", 0, 12).value_or(0);
                line.doseMg = item.optionalNumber("dose_mg", 0.001, 1000000);
                line.dosesPerDay = item.optionalInt("doses_per_day", 1, 24);
                if (!line.doseMg)
                    line.doseMg = milligramsIn(line.dose);
                try {
                    item.finish();
                } catch (const HttpError& e) {
                    auto fields = e.details() ? e.details()->getObject("fields") : nullptr;
                    if (fields)
                        for (const auto& [name, why] : *fields)
                            in.fail(at + "." + name, why.toString());
                }
                if (drugId)
                    wanted.emplace_back(out.items.size(), *drugId);
                out.items.push_back(std::move(line));
            }
    }
    if (!wanted.empty() && in.ok()) {
        std::vector<std::int64_t> ids;
        for (const auto& w : wanted)
            ids.push_back(w.second);
        auto found = _catalogue->byIds(ids);
        for (const auto& [index, id] : wanted) {
            auto drug = found.find(id);
            if (drug == found.end()) {
                in.fail("items[" + std::to_string(index) + "].drug_id", "no such drug in the catalogue");
                continue;
            }
            auto& line = out.items[index];
            line.drug = drug->second;
            if (line.route.empty())
                line.route = drug->second.route;
        }
    }
    in.finish();
    return out;
}

Poco::JSON::Object::Ptr PrescriptionsPlugin::ruleContext(
    const PrescriptionInput& in, const Poco::JSON::Object::Ptr& profile)
{
    const std::int64_t at = nowSeconds();
    auto ctx = clinic::makeObject();
    auto patient = clinic::makeObject();
    patient->set("id", static_cast<Poco::Int64>(in.patientId));
    const std::string birth = profile->optValue<std::string>("birth_date", "");
    patient->set("birth_date", birth);
    if (auto age = ageAt(birth, at))
        patient->set("age", static_cast<Poco::Int64>(*age));
    patient->set("sex", profile->optValue<std::string>("sex", "X"));
    Poco::JSON::Array::Ptr allergies = profile->getArray("allergies");
    patient->set("allergies", allergies ? allergies : Poco::JSON::Array::Ptr(new Poco::JSON::Array));
    if (auto summary
        = _host->services().find<clinic::records::ClinicalSummary>(clinic::records::kClinicalSummaryService))
        if (auto weight = summary->latestWeight(in.patientId)) {
            patient->set("weight_kg", weight->kg);
            patient->set("weight_taken_at", clinic::formatRfc3339(weight->takenAt));
        }
    ctx->set("patient", patient);

    auto doctor = clinic::makeObject();
    doctor->set("id", static_cast<Poco::Int64>(in.doctorId));
    if (auto directory = _host->services().find<clinic::scheduling::DoctorDirectory>(
            clinic::scheduling::kDoctorDirectoryService))
        if (auto card = directory->doctor(in.doctorId)) {
            doctor->set("name", card->name);
            doctor->set("specialty", card->specialty);
        }
    ctx->set("doctor", doctor);

    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& line : in.items) {
        auto item = clinic::makeObject();
        item->set("drug", line.drug ? line.drug->name : line.drugText);
        item->set("free_text", !line.drug);
        if (line.drug) {
            item->set("drug_id", static_cast<Poco::Int64>(line.drug->id));
            item->set("substance", line.drug->substance);
            item->set("atc", line.drug->atc);
            item->set("form", line.drug->form);
            item->set("strength", line.drug->strength);
        }
        item->set("dose", line.dose);
        item->set("route", line.route);
        item->set("frequency", line.frequency);
        item->set("duration_days", static_cast<Poco::Int64>(line.durationDays));
        item->set("quantity", static_cast<Poco::Int64>(line.quantity));
        item->set("refills", static_cast<Poco::Int64>(line.refills));
        if (line.doseMg)
            item->set("dose_mg", *line.doseMg);
        if (line.dosesPerDay)
            item->set("doses_per_day", static_cast<Poco::Int64>(*line.dosesPerDay));
        if (line.doseMg && line.dosesPerDay)
            item->set("daily_mg", *line.doseMg * static_cast<double>(*line.dosesPerDay));
        items->add(item);
    }
    ctx->set("items", items);

    Poco::JSON::Array::Ptr active = new Poco::JSON::Array;
    for (const auto& a : _store->activeItems(in.patientId, at)) {
        auto item = clinic::makeObject();
        item->set("prescription_id", static_cast<Poco::Int64>(a.prescriptionId));
        item->set("drug", a.drug);
        item->set("substance", a.substance);
        item->set("atc", a.atc);
        item->set("issued_at", clinic::formatRfc3339(a.issuedAt));
        item->set("ends_at", clinic::formatRfc3339(a.endsAt));
        active->add(item);
    }
    ctx->set("active", active);
    if (in.renewalOf > 0)
        ctx->set("renewal_of", static_cast<Poco::Int64>(in.renewalOf));
    return ctx;
}

void PrescriptionsPlugin::refuse(Request& req, const PrescriptionInput& in, const std::string& outcome,
    const std::string& code, const std::string& message, Poco::JSON::Object::Ptr details)
{
    (outcome == "rejected" ? _rejected : _warned)->Increment();
    _host->audit().record(req,
        clinic::AuditEvent {in.renewalOf > 0 ? "renewal.approve" : "prescription.create", "prescription", "",
            in.patientId, outcome, message.substr(0, 255)});
    throw HttpError(422, code, message, details);
}

std::vector<std::string> PrescriptionsPlugin::checkRules(Request& req, const PrescriptionInput& in)
{
    auto profile = _host->services()
                       .find<clinic::records::PatientRegistry>(clinic::records::kPatientRegistryService)
                       ->profile(in.patientId);
    if (!profile)
        throw HttpError::notFound("no such patient");
    bool rejected = false;
    std::string reason;
    std::vector<std::string> warnings;
    const clinic::RuleAnswer answer = _host->rules().call(
        "before_prescribe", ruleContext(in, profile), {}, [&](const clinic::RuleAnswer& a) {
            clinic::RuleVerdict verdict;
            const std::string type = a.luaTypes.empty() ? "nil" : a.luaTypes[0];
            if (type == "nil" || (type == "boolean" && a.values[0].extract<bool>()))
                return verdict;
            if (type == "boolean") {
                rejected = true;
                verdict.allowed = false;
                reason = a.luaTypes.size() >= 2 && a.luaTypes[1] == "string"
                    ? a.values[1].extract<std::string>().substr(0, 500)
                    : "not allowed by the clinic's rules";
                return verdict;
            }
            if (type == "table" && a.values[0].type() == typeid(Poco::JSON::Object::Ptr)) {
                auto table = a.values[0].extract<Poco::JSON::Object::Ptr>();
                auto list = table->getArray("warnings");
                if (list) {
                    for (const auto& w : *list) {
                        if (!w.isString()) {
                            warnings.clear();
                            verdict.error = "before_prescribe returned a warning that is not a string";
                            return verdict;
                        }
                        warnings.push_back(w.extract<std::string>().substr(0, 500));
                    }
                    return verdict;
                }
            }
            verdict.error = "before_prescribe returned a " + type
                + ", expected true, false, \"reason\" or {warnings = {\"...\"}}";
            return verdict;
        });
    auto details = clinic::makeObject();
    details->set("rule", "before_prescribe");
    if (answer.failed()) {
        _host->logger().error("before_prescribe failed: %s", answer.error);
        // Fails closed: a prescription the clinic's checks could not look at
        // is not issued.
        details->set("reason", "rule error");
        refuse(req, in, "rejected", "RULE_REJECTED", "the clinic's prescribing rules could not be checked",
            details);
    }
    if (rejected) {
        details->set("reason", reason);
        refuse(req, in, "rejected", "RULE_REJECTED", reason, details);
    }
    if (!warnings.empty() && !in.overrideReason) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        std::string text;
        for (const auto& w : warnings) {
            list->add(w);
            text += (text.empty() ? "" : "; ") + w;
        }
        details->set("warnings", list);
        refuse(
            req, in, "warned", "RULE_WARNING", text + " (send override_reason to prescribe anyway)", details);
    }
    return warnings;
}

std::string PrescriptionsPlugin::doctorName(std::int64_t doctorId)
{
    auto directory = _host->services().find<clinic::scheduling::DoctorDirectory>(
        clinic::scheduling::kDoctorDirectoryService);
    if (!directory)
        return "";
    auto card = directory->doctor(doctorId);
    return card ? card->name : "";
}

void PrescriptionsPlugin::scheduleNotice(clinic::Transaction& tx, std::int64_t prescriptionId,
    std::int64_t patientId, const std::string& doctor, const std::string& what, const std::string& summary,
    const std::string& key)
{
    auto payload = clinic::makeObject();
    payload->set("prescription_id", static_cast<Poco::Int64>(prescriptionId));
    payload->set("patient_id", static_cast<Poco::Int64>(patientId));
    payload->set("what", what);
    payload->set("summary", summary.substr(0, 2000));
    payload->set("doctor_name", doctor);
    _host->jobs().schedule(tx, "prescription.notice", payload, _host->clock().now(), key);
}

std::string summaryOf(const PrescriptionInput& in)
{
    std::string summary;
    for (const auto& line : in.items)
        summary += (summary.empty() ? "" : ", ") + itemName(line);
    return summary;
}

std::int64_t PrescriptionsPlugin::issue(clinic::Transaction& tx, Request& req, const PrescriptionInput& in,
    const std::vector<std::string>& overridden, const std::string& doctor, const std::string& noticeWhat)
{
    Poco::Int64 patient = in.patientId, doctorId = in.doctorId, by = req.caller.userId, at = nowSeconds();
    std::int64_t longest = 0;
    for (const auto& line : in.items)
        longest = std::max(longest, line.durationDays);
    Poco::Int64 ends = at + longest * 86400;
    std::string status = "active", notes = in.notes;
    Poco::Nullable<std::string> overrideReason, warnings;
    if (!overridden.empty()) {
        overrideReason = *in.overrideReason;
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto& w : overridden)
            list->add(w);
        warnings = clinic::toJson(list);
    }
    Poco::Nullable<Poco::Int64> renewalOf;
    if (in.renewalOf > 0)
        renewalOf = static_cast<Poco::Int64>(in.renewalOf);
    tx.session() << "INSERT INTO prescriptions_prescriptions (patient_id, doctor_id, prescribed_by, status,"
                    " issued_at, ends_at, notes, override_reason, warnings, renewal_of)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(patient), use(doctorId), use(by), use(status), use(at), use(ends), use(notes),
        use(overrideReason), use(warnings), use(renewalOf), now;
    const std::int64_t id = tx.lastInsertId();
    Poco::Int64 pid = id;
    int lineNo = 0;
    for (const auto& line : in.items) {
        Poco::Nullable<Poco::Int64> drugId;
        std::string name = itemName(line), substance, atc, form, strength;
        if (line.drug) {
            drugId = static_cast<Poco::Int64>(line.drug->id);
            substance = line.drug->substance;
            atc = line.drug->atc;
            form = line.drug->form;
            strength = line.drug->strength;
        }
        int freeText = line.drug ? 0 : 1, no = ++lineNo;
        std::string dose = line.dose, route = line.route, frequency = line.frequency;
        Poco::Int64 days = line.durationDays, quantity = line.quantity, refills = line.refills;
        Poco::Nullable<double> doseMg;
        if (line.doseMg)
            doseMg = *line.doseMg;
        Poco::Nullable<Poco::Int64> perDay;
        if (line.dosesPerDay)
            perDay = static_cast<Poco::Int64>(*line.dosesPerDay);
        tx.session()
            << "INSERT INTO prescriptions_items (prescription_id, line_no, drug_id, drug_name, free_text,"
               " substance, atc, form, strength, dose, route, frequency, duration_days, quantity, refills,"
               " dose_mg, doses_per_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(pid), use(no), use(drugId), use(name), use(freeText), use(substance), use(atc), use(form),
            use(strength), use(dose), use(route), use(frequency), use(days), use(quantity), use(refills),
            use(doseMg), use(perDay), now;
    }
    const std::string objectId = std::to_string(id);
    _host->audit().record(tx, req,
        clinic::AuditEvent {in.renewalOf > 0 ? "renewal.approve" : "prescription.create", "prescription",
            objectId, in.patientId, "ok", ""});
    if (!overridden.empty()) {
        std::string what;
        for (const auto& w : overridden)
            what += (what.empty() ? "" : "; ") + w;
        _host->audit().record(tx, req,
            clinic::AuditEvent {"prescription.override", "prescription", objectId, in.patientId, "ok",
                (*in.overrideReason + " (over: " + what + ")").substr(0, 255)});
    }
    auto payload = clinic::makeObject();
    payload->set("prescription_id", pid);
    payload->set("patient_id", patient);
    payload->set("doctor_id", doctorId);
    _host->events().publish(tx, clinic::Event {"prescription.issued", payload});
    scheduleNotice(tx, id, in.patientId, doctor, noticeWhat, summaryOf(in),
        "notice:prescription:" + objectId + ":" + noticeWhat);
    return id;
}

Response PrescriptionsPlugin::createPrescription(Request& req)
{
    PrescriptionInput in;
    try {
        in = readPrescription(req);
    } catch (const HttpError& e) {
        if (e.status() == 400 || e.status() == 422)
            _invalid->Increment();
        throw;
    }
    if (!_host->services()
             .find<clinic::records::PatientRegistry>(clinic::records::kPatientRegistryService)
             ->profile(in.patientId)) {
        _invalid->Increment();
        throw HttpError::validation({{"patient_id", "no such patient"}});
    }
    guard(req, in.patientId, "prescription.create", "");
    const auto overridden = checkRules(req, in);
    const std::string doctor = doctorName(in.doctorId);
    std::int64_t id = 0;
    _host->database().transact(
        [&](clinic::Transaction& tx) { id = issue(tx, req, in, overridden, doctor, "issued"); });
    (overridden.empty() ? _issued : _overridden)->Increment();
    return Response::json(_store->one(id, nowSeconds()), 201);
}

} // namespace prescriptions
