// Practitioner, Location, HealthcareService, Schedule and Slot: the clinic's
// directory and free time, read through scheduling.directory.v1 and
// scheduling.availability.v1. Not patient data: nothing to audit.

#include <algorithm>
#include <functional>

#include <Poco/String.h>

#include "FhirApi.h"
#include "FhirSupport.h"
#include "Resources.h"
#include "clinic/Time.h"

namespace fhir {

namespace {

using clinic::HttpError;
using clinic::Request;
using clinic::Response;
using namespace clinic::scheduling;

/// Case-insensitive "contains", as FHIR's string search is loosely read.
bool mentions(const std::string& haystack, const std::string& needle)
{
    return Poco::toLower(haystack).find(Poco::toLower(needle)) != std::string::npos;
}

/// Zero-padded, so ids compare as text in id order.
std::string sortable(std::int64_t id)
{
    std::string digits = std::to_string(id);
    return std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits;
}

/// One page of items sorted by key: those after the cursor, _count of
/// them, and the key of the last as the next cursor when more remain.
template<class Item>
Response page(const Request& req, const std::string& base, const std::string& type,
    const std::vector<Item>& items, const SearchParameters& params,
    const std::function<std::string(const Item&)>& keyOf,
    const std::function<Poco::JSON::Object::Ptr(const Item&)>& toResource)
{
    const auto after = params.cursor();
    std::vector<Poco::JSON::Object::Ptr> out;
    std::optional<std::string> next, lastKey;
    for (const auto& item : items) {
        const std::string key = keyOf(item);
        if (after && key <= *after)
            continue;
        if (out.size() == params.count()) {
            next = lastKey;
            break;
        }
        out.push_back(toResource(item));
        lastKey = key;
    }
    return resourceAnswer(searchset(req, base, type, out, next));
}

template<class Entry> std::optional<Entry> byId(const std::vector<Entry>& all, std::int64_t id)
{
    for (const auto& e : all)
        if (e.id == id)
            return e;
    return std::nullopt;
}

std::int64_t pathId(const Request& req)
{
    auto id = positiveId(req.param("id"));
    if (!id)
        throw HttpError::notFound("no such resource");
    return *id;
}

} // namespace

Response FhirApi::readPractitioner(Request& req)
{
    auto d = byId(need<ClinicDirectory>(kClinicDirectoryService)->doctors(), pathId(req));
    if (!d)
        throw HttpError::notFound("no such Practitioner");
    return resourceAnswer(practitionerResource(*d));
}

Response FhirApi::searchPractitioner(Request& req)
{
    SearchParameters params(req, {"_id", "name"});
    auto id = params.reference("_id", "Practitioner");
    auto name = params.one("name");
    std::vector<DoctorEntry> found;
    for (const auto& d : need<ClinicDirectory>(kClinicDirectoryService)->doctors())
        if ((!id || d.id == *id) && (!name || mentions(d.name, *name)))
            found.push_back(d);
    return page<DoctorEntry>(
        req, base(req), "Practitioner", found, params, [](const DoctorEntry& d) { return sortable(d.id); },
        practitionerResource);
}

Response FhirApi::readLocation(Request& req)
{
    auto l = byId(need<ClinicDirectory>(kClinicDirectoryService)->locations(), pathId(req));
    if (!l)
        throw HttpError::notFound("no such Location");
    return resourceAnswer(locationResource(*l));
}

Response FhirApi::searchLocation(Request& req)
{
    SearchParameters params(req, {"_id", "name", "address-city"});
    auto id = params.reference("_id", "Location");
    auto name = params.one("name");
    auto city = params.one("address-city");
    std::vector<LocationEntry> found;
    for (const auto& l : need<ClinicDirectory>(kClinicDirectoryService)->locations())
        if ((!id || l.id == *id) && (!name || mentions(l.name, *name)) && (!city || mentions(l.city, *city)))
            found.push_back(l);
    return page<LocationEntry>(
        req, base(req), "Location", found, params, [](const LocationEntry& l) { return sortable(l.id); },
        locationResource);
}

Response FhirApi::readHealthcareService(Request& req)
{
    auto s = byId(need<ClinicDirectory>(kClinicDirectoryService)->services(), pathId(req));
    if (!s)
        throw HttpError::notFound("no such HealthcareService");
    return resourceAnswer(healthcareServiceResource(*s));
}

Response FhirApi::searchHealthcareService(Request& req)
{
    SearchParameters params(req, {"_id", "name"});
    auto id = params.reference("_id", "HealthcareService");
    auto name = params.one("name");
    std::vector<ServiceEntry> found;
    for (const auto& s : need<ClinicDirectory>(kClinicDirectoryService)->services())
        if ((!id || s.id == *id) && (!name || mentions(s.name, *name)))
            found.push_back(s);
    return page<ServiceEntry>(
        req, base(req), "HealthcareService", found, params,
        [](const ServiceEntry& s) { return sortable(s.id); }, healthcareServiceResource);
}

namespace {

/// Every (doctor, service) the doctor offers: one Schedule each.
struct ScheduleEntry {
    DoctorEntry doctor;
    ServiceEntry service;
};

std::vector<ScheduleEntry> schedules(ClinicDirectory& directory)
{
    auto services = directory.services();
    std::vector<ScheduleEntry> out;
    for (const auto& d : directory.doctors())
        for (auto id : d.serviceIds)
            if (auto s = byId(services, id))
                out.push_back({d, *s});
    return out;
}

std::optional<ScheduleEntry> schedule(ClinicDirectory& directory, const std::string& id)
{
    auto parts = compoundId(id, 2);
    if (!parts)
        return std::nullopt;
    for (auto& e : schedules(directory))
        if (e.doctor.id == (*parts)[0] && e.service.id == (*parts)[1])
            return e;
    return std::nullopt;
}

/// The longest span one Slot search covers: availability answers at most 62
/// local days, and a day is kept on either side for the zones' offsets.
constexpr std::int64_t kMaxSlotSpanDays = 59;
constexpr std::int64_t kDefaultSlotSpanDays = 14;

std::int64_t dayOf(std::int64_t utc)
{
    return utc >= 0 ? utc / 86400 : (utc - 86399) / 86400;
}

/// The free slots of one schedule in [from, to), sorted by start.
std::vector<FreeSlot> freeSlots(
    FreeSlots& slots, const Request& req, const ScheduleEntry& s, std::int64_t from, std::int64_t to)
{
    SlotQuery q;
    q.doctorId = s.doctor.id;
    q.serviceId = s.service.id;
    q.fromDate = dateOfDay(dayOf(from) - 1);
    q.toDate = dateOfDay(dayOf(to - 1) + 1);
    std::vector<FreeSlot> out;
    for (const auto& slot : slots.find(req, q))
        if (slot.startUtc >= from && slot.startUtc < to)
            out.push_back(slot);
    return out;
}

} // namespace

Response FhirApi::readSchedule(Request& req)
{
    auto s = schedule(*need<ClinicDirectory>(kClinicDirectoryService), req.param("id"));
    if (!s)
        throw HttpError::notFound("no such Schedule");
    return resourceAnswer(scheduleResource(s->doctor, s->service));
}

Response FhirApi::searchSchedule(Request& req)
{
    SearchParameters params(req, {"_id", "actor"});
    auto id = params.one("_id");
    std::optional<std::int64_t> practitioner, location, service;
    if (auto actor = params.one("actor")) {
        if (actor->rfind("Practitioner/", 0) == 0)
            practitioner = referenceId(*actor, "Practitioner");
        else if (actor->rfind("Location/", 0) == 0)
            location = referenceId(*actor, "Location");
        else if (actor->rfind("HealthcareService/", 0) == 0)
            service = referenceId(*actor, "HealthcareService");
        if (!practitioner && !location && !service)
            throw badRequest("INVALID_PARAMETER",
                "actor must be a Practitioner/<id>, Location/<id> or HealthcareService/<id> reference");
    }
    std::vector<ScheduleEntry> found;
    for (auto& e : schedules(*need<ClinicDirectory>(kClinicDirectoryService))) {
        const std::string eid = std::to_string(e.doctor.id) + "-" + std::to_string(e.service.id);
        if ((!id || *id == eid || *id == "Schedule/" + eid) && (!practitioner || e.doctor.id == *practitioner)
            && (!location || e.doctor.locationId == *location) && (!service || e.service.id == *service))
            found.push_back(e);
    }
    return page<ScheduleEntry>(
        req, base(req), "Schedule", found, params,
        [](const ScheduleEntry& e) { return sortable(e.doctor.id) + "-" + sortable(e.service.id); },
        [](const ScheduleEntry& e) { return scheduleResource(e.doctor, e.service); });
}

Response FhirApi::readSlot(Request& req)
{
    auto parts = compoundId(req.param("id"), 3);
    if (!parts)
        throw HttpError::notFound("no such Slot");
    auto s = schedule(*need<ClinicDirectory>(kClinicDirectoryService),
        std::to_string((*parts)[0]) + "-" + std::to_string((*parts)[1]));
    if (!s)
        throw HttpError::notFound("no such Slot");
    const std::int64_t start = (*parts)[2];
    for (const auto& slot : freeSlots(*need<FreeSlots>(kFreeSlotsService), req, *s, start, start + 1))
        if (slot.startUtc == start)
            return resourceAnswer(slotResource(slot, s->service.id));
    // A slot is a free stretch of a calendar: once booked (or past) there
    // is none, whatever its id says.
    throw HttpError::notFound("no such free Slot");
}

Response FhirApi::searchSlot(Request& req)
{
    SearchParameters params(req, {"schedule", "start", "status"});
    auto scheduleId = params.one("schedule");
    if (!scheduleId)
        throw badRequest("INVALID_PARAMETER", "schedule is required (Schedule/<doctor>-<service>)");
    const std::string bare = scheduleId->rfind("Schedule/", 0) == 0
        ? scheduleId->substr(std::string("Schedule/").size())
        : *scheduleId;
    auto s = schedule(*need<ClinicDirectory>(kClinicDirectoryService), bare);
    if (!s && !compoundId(bare, 2))
        throw badRequest(
            "INVALID_PARAMETER", "schedule: \"" + *scheduleId + "\" is not a Schedule reference");
    bool wantFree = true;
    if (auto status = params.one("status")) {
        for (const auto& code : {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"})
            if (*status == code)
                wantFree = *status == "free";
        if (*status != "free" && wantFree)
            throw badRequest("INVALID_PARAMETER", "status: \"" + *status + "\" is not a Slot status");
    }
    const std::int64_t nowUtc = clinic::nowSeconds(_host.clock());
    InstantRange range;
    for (const auto& value : params.all("start"))
        range.narrow(dateSearch("start", value));
    const std::int64_t from = std::max(range.from.value_or(nowUtc), nowUtc);
    const std::int64_t to = range.to.value_or(from + kDefaultSlotSpanDays * 86400);
    if (to - from > kMaxSlotSpanDays * 86400)
        throw badRequest("INVALID_PARAMETER",
            "start: a Slot search covers at most " + std::to_string(kMaxSlotSpanDays) + " days");
    std::vector<FreeSlot> found;
    if (s && wantFree && to > from)
        found = freeSlots(*need<FreeSlots>(kFreeSlotsService), req, *s, from, to);
    const std::int64_t serviceId = s ? s->service.id : 0;
    return page<FreeSlot>(
        req, base(req), "Slot", found, params, [](const FreeSlot& f) { return sortable(f.startUtc); },
        [serviceId](const FreeSlot& f) { return slotResource(f, serviceId); });
}

} // namespace fhir
