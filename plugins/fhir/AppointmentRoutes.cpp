// Appointment: read and search through scheduling.appointment_search.v1 with
// the access policy and audit of the JSON API; create through
// scheduling.booking.v1, which is POST /api/v1/appointments's own path.

#include <Poco/JSON/Array.h>
#include <Poco/StringTokenizer.h>

#include "FhirApi.h"
#include "FhirSupport.h"
#include "Resources.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/Time.h"

namespace fhir {

namespace {

using clinic::AuditEvent;
using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;
using namespace clinic::scheduling;

std::string cursorOf(const AppointmentCursor& c)
{
    return std::to_string(c.startUtc) + "-" + std::to_string(c.id);
}

HttpError invalid(const std::string& message)
{
    return badRequest("INVALID_RESOURCE", message);
}

/// The reference text of {"reference": "..."} at o[key], or "".
std::string referenceText(const Poco::JSON::Object::Ptr& o, const std::string& key)
{
    if (!o || !o->has(key))
        return "";
    auto v = o->get(key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
        throw invalid(key + " must be a Reference object");
    auto ref = v.extract<Poco::JSON::Object::Ptr>();
    if (!ref->has("reference") || !ref->get("reference").isString())
        throw invalid(key + ".reference must be a string");
    return ref->getValue<std::string>("reference");
}

Poco::JSON::Array::Ptr arrayField(const Poco::JSON::Object::Ptr& o, const std::string& key)
{
    if (!o->has(key))
        return nullptr;
    auto v = o->get(key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr))
        throw invalid(key + " must be an array");
    return v.extract<Poco::JSON::Array::Ptr>();
}

Poco::JSON::Object::Ptr objectAt(const Poco::JSON::Array::Ptr& a, std::size_t i, const std::string& what)
{
    auto v = a->get(static_cast<unsigned>(i));
    if (v.type() != typeid(Poco::JSON::Object::Ptr))
        throw invalid(what + "[" + std::to_string(i) + "] must be an object");
    return v.extract<Poco::JSON::Object::Ptr>();
}

/// Sets target from a "Type/id" reference, or refuses a second, different one.
void take(std::optional<std::int64_t>& target, const std::string& reference, const std::string& type)
{
    auto id = referenceId(reference, type);
    if (!id || reference.rfind(type + "/", 0) != 0)
        throw invalid("\"" + reference + "\" is not a " + type + " reference");
    if (target && *target != *id)
        throw invalid("the Appointment names two different " + type + " resources");
    target = id;
}

} // namespace

Response FhirApi::readAppointment(Request& req)
{
    auto id = positiveId(req.param("id"));
    if (!id)
        throw HttpError::notFound("no such Appointment");
    AppointmentFilter f;
    f.id = *id;
    f.limit = 1;
    auto found = need<AppointmentSearch>(kAppointmentSearchService)->search(f);
    if (found.items.empty())
        throw HttpError::notFound("no such Appointment");
    const auto& a = found.items.front();
    try {
        // Another patient's appointment answers as if it did not exist.
        _host.access().require(req, a.patientId, PatientData::Demographics);
    } catch (const HttpError&) {
        _host.audit().record(req,
            AuditEvent {
                "fhir.appointment.read", "appointment", std::to_string(a.id), a.patientId, "denied", ""});
        throw HttpError::notFound("no such Appointment");
    }
    _host.audit().record(req,
        AuditEvent {"fhir.appointment.read", "appointment", std::to_string(a.id), a.patientId, "ok", ""});
    return resourceAnswer(appointmentResource(a));
}

Response FhirApi::searchAppointment(Request& req)
{
    SearchParameters params(req, {"_id", "date", "patient", "practitioner", "actor", "location", "status"});
    AppointmentFilter f;
    f.id = params.reference("_id", "Appointment");
    f.patientId = params.reference("patient", "Patient");
    f.doctorId = params.reference("practitioner", "Practitioner");
    f.locationId = params.reference("location", "Location");
    if (auto actor = params.one("actor")) {
        if (actor->rfind("Patient/", 0) == 0)
            take(f.patientId, *actor, "Patient");
        else if (actor->rfind("Practitioner/", 0) == 0)
            take(f.doctorId, *actor, "Practitioner");
        else if (actor->rfind("Location/", 0) == 0)
            take(f.locationId, *actor, "Location");
        else
            throw badRequest(
                "INVALID_PARAMETER", "actor must be a Patient, Practitioner or Location reference");
    }
    bool matchesNothing = false;
    for (const auto& value : params.all("status")) {
        Poco::StringTokenizer codes(value, ",", Poco::StringTokenizer::TOK_TRIM);
        for (const auto& code : codes) {
            static const std::set<std::string> unused
                = {"proposed", "arrived", "entered-in-error", "waitlist"};
            if (auto clinic = clinicStatus(code))
                f.statuses.push_back(*clinic);
            else if (!unused.count(code))
                throw badRequest(
                    "INVALID_PARAMETER", "status: \"" + code + "\" is not an Appointment status");
        }
        // Only codes the clinic never uses: nothing can match.
        matchesNothing = f.statuses.empty();
    }
    if (f.statuses.size() > kMaxFilterStatuses)
        throw badRequest(
            "INVALID_PARAMETER", "status: at most " + std::to_string(kMaxFilterStatuses) + " codes");
    InstantRange range;
    for (const auto& value : params.all("date"))
        range.narrow(dateSearch("date", value));
    f.fromUtc = range.from;
    f.toUtc = range.to;
    if (auto cursor = params.cursor()) {
        auto parts = compoundId(*cursor, 2);
        if (!parts)
            throw badRequest("INVALID_PARAMETER", "_cursor is not one this server gave out");
        f.after = AppointmentCursor {(*parts)[0], (*parts)[1]};
    }
    if (req.caller.role == "patient") {
        // A patient's search covers their own appointments only.
        if (f.patientId && *f.patientId != req.caller.patientId)
            matchesNothing = true;
        f.patientId = req.caller.patientId;
    }
    f.limit = params.count();
    std::vector<Poco::JSON::Object::Ptr> shown;
    std::optional<std::string> next;
    if (!matchesNothing && (!range.from || !range.to || *range.from < *range.to)) {
        auto found = need<AppointmentSearch>(kAppointmentSearchService)->search(f);
        for (const auto& a : found.items)
            if (_host.access().maySee(req.caller, a.patientId, PatientData::Demographics))
                shown.push_back(appointmentResource(a));
        if (found.next)
            next = cursorOf(*found.next);
    }
    _host.audit().record(
        req, AuditEvent {"fhir.appointment.search", "appointment", "", f.patientId.value_or(0), "ok", ""});
    return resourceAnswer(searchset(req, base(req), "Appointment", shown, next));
}

Response FhirApi::createAppointment(Request& req)
{
    auto body = req.jsonObject();
    if (!body->has("resourceType") || !body->get("resourceType").isString()
        || body->getValue<std::string>("resourceType") != "Appointment")
        throw invalid("resourceType must be \"Appointment\"");
    if (body->has("status")) {
        const std::string status = body->optValue<std::string>("status", "");
        if (status != "proposed" && status != "pending" && status != "booked")
            throw invalid("status: a new Appointment is proposed, pending or booked");
    }
    std::optional<std::int64_t> patient, practitioner, service, start;
    std::string startText;
    if (auto slots = arrayField(body, "slot")) {
        if (slots->size() != 1)
            throw invalid("slot: exactly one Slot is booked at a time");
        auto slot = objectAt(slots, 0, "slot");
        if (!slot->has("reference") || !slot->get("reference").isString())
            throw invalid("slot[0].reference must be a string");
        const std::string ref = slot->getValue<std::string>("reference");
        auto parts = ref.rfind("Slot/", 0) == 0 ? compoundId(ref.substr(5), 3) : std::nullopt;
        if (!parts)
            throw invalid("slot: \"" + ref + "\" is not a Slot reference");
        practitioner = (*parts)[0];
        service = (*parts)[1];
        start = (*parts)[2];
        startText = clinic::formatRfc3339(*start);
    }
    if (body->has("start")) {
        if (!body->get("start").isString())
            throw invalid("start must be an instant (YYYY-MM-DDThh:mm:ss with an offset)");
        const std::string text = body->getValue<std::string>("start");
        auto at = clinic::parseRfc3339(text);
        if (!at)
            throw invalid(
                "start: \"" + text + "\" is not an instant that exists (YYYY-MM-DDThh:mm:ss with an offset)");
        if (start && *start != *at)
            throw invalid("start and slot name different times");
        start = at;
        startText = text;
    }
    if (auto participants = arrayField(body, "participant")) {
        for (std::size_t i = 0; i < participants->size(); ++i) {
            const std::string ref = referenceText(objectAt(participants, i, "participant"), "actor");
            if (ref.rfind("Patient/", 0) == 0)
                take(patient, ref, "Patient");
            else if (ref.rfind("Practitioner/", 0) == 0)
                take(practitioner, ref, "Practitioner");
            else if (ref.rfind("HealthcareService/", 0) == 0)
                take(service, ref, "HealthcareService");
            else if (ref.rfind("Location/", 0) != 0)
                throw invalid("participant[" + std::to_string(i) + "].actor: \"" + ref
                    + "\" is not a Patient, Practitioner, HealthcareService or Location reference");
        }
    }
    if (!patient && req.caller.role == "patient")
        patient = req.caller.patientId;
    std::string missing;
    if (!patient)
        missing += " a Patient participant,";
    if (!practitioner)
        missing += " a Practitioner participant or a slot,";
    if (!service)
        missing += " a HealthcareService participant or a slot,";
    if (!start)
        missing += " a start or a slot,";
    if (!missing.empty())
        throw invalid("the Appointment needs" + missing.substr(0, missing.size() - 1));
    if (body->has("comment") && !body->get("comment").isString())
        throw invalid("comment must be a string");

    BookingRequest booking;
    booking.patientId = *patient;
    booking.doctorId = *practitioner;
    booking.serviceId = *service;
    booking.start = startText;
    booking.notes = body->optValue<std::string>("comment", "");
    const std::int64_t id = need<AppointmentBooking>(kAppointmentBookingService)->book(req, booking);

    AppointmentFilter f;
    f.id = id;
    f.limit = 1;
    auto found = need<AppointmentSearch>(kAppointmentSearchService)->search(f);
    if (found.items.empty())
        throw std::runtime_error("a booked appointment cannot be read back");
    Response res = resourceAnswer(appointmentResource(found.items.front()), 201);
    res.headers.emplace_back("Location", base(req) + "/Appointment/" + std::to_string(id));
    return res;
}

} // namespace fhir
