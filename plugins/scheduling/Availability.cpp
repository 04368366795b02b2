// Availability: the free slots the working hours leave, across DST changes.

#include "SchedulingPlugin.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>

#include "DirectoryCache.h"
#include "PatientGuard.h"
#include "clinic/Audit.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

constexpr std::int64_t kMaxDays = 62;

} // namespace

Response SchedulingPlugin::availability(Request& req)
{
    std::map<std::string, std::string> errors;
    auto doctorId = queryId(req, "doctor_id", errors);
    auto serviceId = queryId(req, "service_id", errors);
    auto locationId = queryId(req, "location_id", errors);
    auto patientId = queryId(req, "patient_id", errors);
    // A patient sees the slots as they would be for them (a rule may give a
    // new patient a longer first visit), and only their own.
    patientId = patientInScope(*_host, req, patientId, "availability.read");
    const std::string specialty = req.query("specialty").value_or("");
    if (!serviceId && !errors.count("service_id"))
        errors["service_id"] = "is required";
    if (!doctorId && !errors.count("doctor_id") && specialty.empty() && !locationId
        && !errors.count("location_id"))
        errors["doctor_id"] = "is required unless specialty or location_id is given";
    auto dateParam = [&](const std::string& field) { return requiredDate(req.query(field), field, errors); };
    const std::optional<std::int64_t> from = dateParam("from"), to = dateParam("to");
    if (from && to && *to < *from)
        errors["to"] = "must not be before from";
    else if (from && to && *to - *from + 1 > kMaxDays)
        errors["to"] = "the range is at most " + std::to_string(kMaxDays) + " days";
    if (!errors.empty())
        throw HttpError::validation(errors);
    const std::int64_t firstDay = from.value_or(0), lastDay = to.value_or(0);

    auto s = _host->database().session();
    // The directory facts from memory unless they changed (one read of the
    // change counter); time off and occupancy are read per doctor below.
    auto directory = _book->directory().view(s);
    auto service = directory.service(*serviceId);
    if (!service)
        throw HttpError::validation({{"service_id", "no such service"}});

    std::vector<Poco::Int64> doctors;
    if (doctorId) {
        auto d = directory.doctor(*doctorId);
        if (!d)
            throw HttpError::validation({{"doctor_id", "no such doctor"}});
        if (std::find(d->serviceIds.begin(), d->serviceIds.end(), *serviceId) == d->serviceIds.end())
            throw HttpError::validation({{"service_id", "this doctor does not offer this service"}});
        doctors.push_back(*doctorId);
    } else {
        Poco::Int64 sid = *serviceId;
        std::string spec = specialty;
        if (specialty.empty())
            s << "SELECT doctor_id FROM scheduling_doctor_services WHERE service_id = ? ORDER BY "
                 "doctor_id",
                use(sid), into(doctors), now;
        else
            s << "SELECT d.id FROM scheduling_doctors d JOIN scheduling_doctor_services ds"
                 " ON ds.doctor_id = d.id AND ds.service_id = ? WHERE d.specialty = ? ORDER BY d.id",
                use(sid), use(spec), into(doctors), now;
    }

    const std::int64_t nowUtc = nowSeconds();
    // The UTC window that covers the local dates in any zone (offsets are
    // within +-26 hours).
    Poco::Int64 windowStart = firstDay * 86400 - 2 * 86400, windowEnd = (lastDay + 3) * 86400;
    std::map<Poco::Int64, std::shared_ptr<const TimeZone>> zones;
    std::map<Poco::Int64, std::optional<Location>> locations;
    std::map<Poco::Int64, std::set<std::int64_t>> holidays;
    Poco::JSON::Object::Ptr patient;
    if (patientId) {
        patient = _book->patientContext(*patientId, std::nullopt);
        if (!patient)
            throw HttpError::validation({{"patient_id", "no such patient"}});
        // The patient's age, sex and history shaped these slots: a read.
        _host->audit().record(req,
            clinic::AuditEvent {
                "availability.read", "patient", std::to_string(*patientId), *patientId, "ok", ""});
    }
    struct Slot {
        std::int64_t start, end;
        Poco::Int64 doctor, location;
        std::int32_t startOffset, endOffset;
    };
    std::vector<Slot> slots;
    for (Poco::Int64 doctor : doctors) {
        auto doctorRow = directory.doctor(doctor);
        if (!doctorRow)
            continue;
        std::vector<Period> hours = directory.hours(doctor);
        if (locationId)
            hours.erase(std::remove_if(hours.begin(), hours.end(),
                            [&](const Period& p) { return p.locationId != *locationId; }),
                hours.end());
        if (hours.empty())
            continue;
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> off;
        s << "SELECT start_utc, end_utc FROM scheduling_time_off WHERE doctor_id = ? AND end_utc > ?"
             " AND start_utc < ? ORDER BY start_utc",
            use(doctor), use(windowStart), use(windowEnd), into(off), now;
        const auto taken = occupiedCells(s, doctor, windowStart, windowEnd);
        // The slot length depends on the doctor, the service, the location
        // and the patient, not on the period: one slot_length call per
        // location, not one per weekly period.
        std::map<Poco::Int64, int> minutesAt;
        for (const auto& p : hours) {
            auto& zone = zones[p.locationId];
            auto& closed = holidays[p.locationId];
            auto& location = locations[p.locationId];
            if (!zone) {
                location = directory.location(p.locationId);
                zone = location ? TimeZone::find(location->timezone) : nullptr;
                if (!zone)
                    continue;
                for (const auto& h : location->holidays)
                    closed.insert(h.first);
            }
            auto known = minutesAt.find(p.locationId);
            if (known == minutesAt.end()) {
                BookingFacts facts {&*doctorRow, &*service, &*location, patient, req.caller.role, nowUtc, {}};
                known = minutesAt.emplace(p.locationId, _book->slotMinutes(facts)).first;
            }
            const int minutes = known->second;
            for (std::int64_t day = firstDay; day <= lastDay; ++day) {
                if (isoWeekday(day) != p.weekday || closed.count(day))
                    continue;
                // Slots start on local wall-clock times; a start in a
                // spring gap does not exist and is skipped, a start in an
                // autumn overlap is offered once, at its first occurrence.
                for (int m = p.startMin; m + minutes <= p.endMin; m += minutes) {
                    auto utcs = zone->toUtc(day * 86400 + m * 60);
                    if (utcs.empty())
                        continue;
                    const std::int64_t start = utcs.front(), end = start + minutes * 60;
                    // The end in real time, as booking checks it (on a
                    // spring-forward day the period is an hour shorter).
                    if (start < nowUtc || end > lenientUtc(*zone, day * 86400 + p.endMin * 60))
                        continue;
                    bool blocked = touches(taken, start, end);
                    for (const auto& o : off)
                        if (o.get<0>() < end && start < o.get<1>()) {
                            blocked = true;
                            break;
                        }
                    if (!blocked)
                        slots.push_back(
                            {start, end, doctor, p.locationId, zone->offsetAt(start), zone->offsetAt(end)});
                }
            }
        }
    }
    std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
        return std::tie(a.start, a.doctor) < std::tie(b.start, b.doctor);
    });
    slots.erase(std::unique(slots.begin(), slots.end(),
                    [](const Slot& a, const Slot& b) { return a.start == b.start && a.doctor == b.doctor; }),
        slots.end());
    // Written as text: a week of one doctor is hundreds of slots, and a
    // Poco::JSON object per slot (four Vars, a map) was most of the
    // answer's allocations. Every value is a number or an RFC 3339 instant,
    // so nothing needs escaping.
    std::string body;
    body.reserve(32 + slots.size() * 112);
    body += "{\"items\":[";
    for (const auto& slot : slots) {
        body += body.back() == '[' ? "{\"start\":\"" : ",{\"start\":\"";
        body += formatWithOffset(slot.start, slot.startOffset);
        body += "\",\"end\":\"";
        body += formatWithOffset(slot.end, slot.endOffset);
        body += "\",\"doctor_id\":";
        body += std::to_string(slot.doctor);
        body += ",\"location_id\":";
        body += std::to_string(slot.location);
        body += '}';
    }
    body += "]}";
    return Response::text(std::move(body), "application/json; charset=utf-8");
}

} // namespace scheduling
