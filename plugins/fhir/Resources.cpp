#include "Resources.h"

#include <vector>

#include <Poco/JSON/Array.h>

#include "FhirSupport.h"
#include "clinic/Json.h"
#include "clinic/Time.h"

namespace fhir {

namespace {

using clinic::makeObject;
using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr reference(const std::string& type, std::int64_t id, const std::string& display = "")
{
    auto r = makeObject();
    r->set("reference", type + "/" + std::to_string(id));
    if (!display.empty())
        r->set("display", display);
    return r;
}

Object::Ptr text(const std::string& value)
{
    auto c = makeObject();
    c->set("text", value);
    return c;
}

Array::Ptr one(const Object::Ptr& o)
{
    Array::Ptr a = new Array;
    a->add(o);
    return a;
}

Object::Ptr contact(const std::string& system, const std::string& value)
{
    auto c = makeObject();
    c->set("system", system);
    c->set("value", value);
    return c;
}

Object::Ptr resource(const std::string& type, const std::string& id)
{
    auto r = makeObject();
    r->set("resourceType", type);
    r->set("id", id);
    return r;
}

} // namespace

Object::Ptr patientResource(const clinic::records::PatientCard& p)
{
    auto r = resource("Patient", std::to_string(p.id));
    if (!p.nationalId.empty()) {
        auto id = makeObject();
        id->set("use", "official");
        id->set("system", kNationalIdSystem);
        id->set("value", p.nationalId);
        r->set("identifier", one(id));
    }
    r->set("active", true);
    auto name = makeObject();
    name->set("use", "official");
    name->set("family", p.lastName);
    Array::Ptr given = new Array;
    given->add(p.firstName);
    name->set("given", given);
    r->set("name", one(name));
    Array::Ptr telecom = new Array;
    if (!p.phone.empty())
        telecom->add(contact("phone", p.phone));
    if (!p.email.empty())
        telecom->add(contact("email", p.email));
    if (telecom->size() > 0)
        r->set("telecom", telecom);
    // The clinic's sex values are FHIR's administrative genders.
    r->set("gender", p.sex);
    r->set("birthDate", p.birthDate);
    if (!p.language.empty()) {
        auto coding = makeObject();
        coding->set("system", "urn:ietf:bcp:47");
        coding->set("code", p.language);
        auto language = makeObject();
        language->set("coding", one(coding));
        auto communication = makeObject();
        communication->set("language", language);
        communication->set("preferred", true);
        r->set("communication", one(communication));
    }
    return r;
}

Object::Ptr practitionerResource(const clinic::scheduling::DoctorEntry& d)
{
    auto r = resource("Practitioner", std::to_string(d.id));
    r->set("active", true);
    r->set("name", one(text(d.name)));
    if (!d.specialty.empty()) {
        auto qualification = makeObject();
        qualification->set("code", text(d.specialty));
        r->set("qualification", one(qualification));
    }
    return r;
}

Object::Ptr locationResource(const clinic::scheduling::LocationEntry& l)
{
    auto r = resource("Location", std::to_string(l.id));
    r->set("status", "active");
    r->set("name", l.name);
    r->set("mode", "instance");
    if (!l.phone.empty())
        r->set("telecom", one(contact("phone", l.phone)));
    auto address = makeObject();
    Array::Ptr lines = new Array;
    if (!l.address.empty())
        lines->add(l.address);
    if (lines->size() > 0)
        address->set("line", lines);
    if (!l.city.empty())
        address->set("city", l.city);
    if (!l.county.empty())
        address->set("district", l.county);
    if (address->size() > 0)
        r->set("address", address);
    return r;
}

Object::Ptr healthcareServiceResource(const clinic::scheduling::ServiceEntry& s)
{
    auto r = resource("HealthcareService", std::to_string(s.id));
    r->set("active", true);
    r->set("name", s.name);
    if (!s.department.empty())
        r->set("category", one(text(s.department)));
    r->set("comment", std::to_string(s.durationMin) + " minutes");
    return r;
}

Object::Ptr scheduleResource(
    const clinic::scheduling::DoctorEntry& d, const clinic::scheduling::ServiceEntry& s)
{
    auto r = resource("Schedule", std::to_string(d.id) + "-" + std::to_string(s.id));
    r->set("active", true);
    r->set("serviceType", one(text(s.name)));
    Array::Ptr actors = new Array;
    actors->add(reference("Practitioner", d.id, d.name));
    actors->add(reference("Location", d.locationId));
    actors->add(reference("HealthcareService", s.id, s.name));
    r->set("actor", actors);
    return r;
}

Object::Ptr slotResource(const clinic::scheduling::FreeSlot& slot, std::int64_t serviceId)
{
    const std::string schedule = std::to_string(slot.doctorId) + "-" + std::to_string(serviceId);
    auto r = resource("Slot", schedule + "-" + std::to_string(slot.startUtc));
    auto s = makeObject();
    s->set("reference", "Schedule/" + schedule);
    r->set("schedule", s);
    r->set("status", "free");
    r->set("start", clinic::formatRfc3339(slot.startUtc));
    r->set("end", clinic::formatRfc3339(slot.endUtc));
    return r;
}

std::string appointmentStatus(const std::string& s)
{
    if (s == "pending")
        return "pending";
    if (s == "confirmed")
        return "booked";
    if (s == "checked_in")
        return "checked-in";
    if (s == "completed")
        return "fulfilled";
    if (s == "cancelled")
        return "cancelled";
    if (s == "no_show")
        return "noshow";
    return "entered-in-error";
}

std::optional<std::string> clinicStatus(const std::string& s)
{
    for (const char* c : {"pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"})
        if (appointmentStatus(c) == s)
            return std::string(c);
    return std::nullopt;
}

Object::Ptr appointmentResource(const clinic::scheduling::AppointmentSummary& a)
{
    auto r = resource("Appointment", std::to_string(a.id));
    r->set("status", appointmentStatus(a.status));
    r->set("start", clinic::formatRfc3339(a.startUtc));
    r->set("end", clinic::formatRfc3339(a.endUtc));
    r->set("minutesDuration", (a.endUtc - a.startUtc) / 60);
    Array::Ptr participants = new Array;
    auto participant = [&](const std::string& type, std::int64_t id) {
        auto p = makeObject();
        p->set("actor", reference(type, id));
        p->set("required", "required");
        p->set("status", a.status == "cancelled" ? "declined" : "accepted");
        participants->add(p);
    };
    participant("Patient", a.patientId);
    participant("Practitioner", a.doctorId);
    participant("Location", a.locationId);
    participant("HealthcareService", a.serviceId);
    r->set("participant", participants);
    return r;
}

std::string medicationRequestStatus(const std::string& s)
{
    if (s == "active")
        return "active";
    if (s == "cancelled")
        return "cancelled";
    if (s == "expired" || s == "completed")
        return "completed";
    return "unknown";
}

Object::Ptr medicationRequestResource(const Object::Ptr& rx, std::size_t item)
{
    const std::int64_t patient = rx->getValue<Poco::Int64>("patient_id");
    const std::int64_t id = rx->getValue<Poco::Int64>("id");
    auto line = rx->getArray("items")->getObject(static_cast<unsigned>(item));
    auto r = resource("MedicationRequest",
        std::to_string(patient) + "-" + std::to_string(id) + "-" + std::to_string(item + 1));
    r->set("status", medicationRequestStatus(rx->optValue<std::string>("status", "")));
    r->set("intent", "order");
    auto medication = text(line->optValue<std::string>("drug", ""));
    const std::string atc = line->optValue<std::string>("atc", "");
    if (!atc.empty()) {
        auto coding = makeObject();
        coding->set("system", "http://www.whocc.no/atc");
        coding->set("code", atc);
        medication->set("coding", one(coding));
    }
    r->set("medicationCodeableConcept", medication);
    r->set("subject", reference("Patient", patient));
    r->set("authoredOn", rx->optValue<std::string>("issued_at", ""));
    r->set("requester", reference("Practitioner", rx->getValue<Poco::Int64>("doctor_id")));
    auto dosage = makeObject();
    std::string instruction = line->optValue<std::string>("dose", "");
    for (const char* part : {"frequency", "route"}) {
        const std::string v = line->optValue<std::string>(part, "");
        if (!v.empty())
            instruction += (instruction.empty() ? "" : ", ") + v;
    }
    dosage->set("text", instruction.empty() ? std::string("as directed") : instruction);
    r->set("dosageInstruction", one(dosage));
    auto dispense = makeObject();
    dispense->set("numberOfRepeatsAllowed", line->optValue<Poco::Int64>("refills", 0));
    auto quantity = makeObject();
    quantity->set("value", line->optValue<Poco::Int64>("quantity", 0));
    dispense->set("quantity", quantity);
    r->set("dispenseRequest", dispense);
    const std::string notes = rx->optValue<std::string>("notes", "");
    if (!notes.empty())
        r->set("note", one(text(notes)));
    return r;
}

std::optional<std::vector<std::int64_t>> compoundId(const std::string& id, std::size_t parts)
{
    std::vector<std::int64_t> out;
    std::size_t at = 0;
    while (at <= id.size()) {
        const auto dash = id.find('-', at);
        const auto end = dash == std::string::npos ? id.size() : dash;
        auto n = positiveId(id.substr(at, end - at));
        if (!n)
            return std::nullopt;
        out.push_back(*n);
        at = end + 1;
    }
    if (out.size() != parts)
        return std::nullopt;
    return out;
}

} // namespace fhir
