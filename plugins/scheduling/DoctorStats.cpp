// A doctor's figures over a range of local dates: what was booked and how it
// ended, how much of the working time it filled, and how far ahead it was
// booked. Aggregates only (no patient appears), audited as a read of the
// doctor's figures.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <Poco/Tuple.h>

#include "clinic/Audit.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

constexpr std::int64_t kMaxStatsDays = 62;

using Interval = std::pair<std::int64_t, std::int64_t>;

/// Seconds of [a, b) not covered by the sorted, possibly overlapping cuts.
std::int64_t uncovered(const Interval& span, const std::vector<Interval>& cuts)
{
    std::int64_t total = 0, at = span.first;
    for (const auto& [from, to] : cuts) {
        if (to <= at || from >= span.second)
            continue;
        if (from > at)
            total += std::min(from, span.second) - at;
        at = std::max(at, to);
        if (at >= span.second)
            break;
    }
    if (at < span.second)
        total += span.second - at;
    return total;
}

} // namespace

Response AppointmentBook::Impl::doctorStats(Request& req)
{
    const Poco::Int64 doctorId = req.idParam("id");
    std::map<std::string, std::string> errors;
    auto dateParam = [&](const std::string& field) { return requiredDate(req.query(field), field, errors); };
    const auto from = dateParam("from"), to = dateParam("to");
    if (from && to && *to < *from)
        errors["to"] = "must not be before from";
    else if (from && to && *to - *from + 1 > kMaxStatsDays)
        errors["to"] = "the range is at most " + std::to_string(kMaxStatsDays) + " days";

    auto s = _host.database().session();
    auto doctor = findDoctor(s, doctorId);
    // The directory is public (patients browse doctors), so a missing id is
    // 404 for everyone; a doctor sees only their own figures.
    if (!doctor)
        throw HttpError::notFound("no such doctor");
    if (req.caller.role == "doctor" && (!doctor->userId || *doctor->userId != req.caller.userId)) {
        _host.audit().record(
            req, clinic::AuditEvent {"doctor.stats", "doctor", std::to_string(doctorId), 0, "denied", ""});
        throw HttpError::forbidden("a doctor sees only their own figures");
    }
    if (!errors.empty())
        throw HttpError::validation(errors);

    // The range in the zone of the doctor's main location; each working
    // period in the zone of its own location.
    auto zone = zoneOf(s, doctor->locationId);
    const Poco::Int64 rangeStart = lenientUtc(*zone, *from * 86400),
                      rangeEnd = lenientUtc(*zone, (*to + 1) * 86400);

    std::vector<Poco::Tuple<std::string, Poco::Int64, Poco::Int64, Poco::Int64>> rows;
    Poco::Int64 id = doctorId, a = rangeStart, b = rangeEnd;
    s << "SELECT status, COUNT(*), SUM(end_utc - start_utc), SUM(start_utc - created_at)"
         " FROM scheduling_appointments WHERE doctor_id = ? AND start_utc >= ? AND start_utc < ?"
         " GROUP BY status",
        use(id), use(a), use(b), into(rows), now;
    Poco::Int64 booked = 0, completed = 0, cancelled = 0, noShow = 0, bookedSeconds = 0, leadSeconds = 0;
    for (const auto& r : rows) {
        const std::string& status = r.get<0>();
        booked += r.get<1>();
        leadSeconds += r.get<3>();
        if (status == "completed")
            completed += r.get<1>();
        else if (status == "cancelled")
            cancelled += r.get<1>();
        else if (status == "no_show")
            noShow += r.get<1>();
        // The time a visit takes or took: open and completed ones.
        if (status != "cancelled" && status != "no_show")
            bookedSeconds += r.get<2>();
    }

    // Working time: each day's periods as real instants (a period across a
    // spring-forward gap is an hour shorter, one across the autumn overlap
    // an hour longer), less the location's holidays and the doctor's time off.
    std::vector<Interval> off;
    {
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> timeOff;
        s << "SELECT start_utc, end_utc FROM scheduling_time_off WHERE doctor_id = ? AND end_utc > ?"
             " AND start_utc < ? ORDER BY start_utc",
            use(id), use(a), use(b), into(timeOff), now;
        for (const auto& t : timeOff)
            off.emplace_back(t.get<0>(), t.get<1>());
    }
    std::map<Poco::Int64, std::optional<Location>> locations;
    std::int64_t workingSeconds = 0;
    const auto hours = hoursOf(s, doctorId);
    // One day either side: a period's local day may differ from the range's
    // when its location's zone differs from the main one.
    for (std::int64_t day = *from - 1; day <= *to + 1; ++day) {
        const int weekday = isoWeekday(day);
        for (const auto& p : hours) {
            if (p.weekday != weekday)
                continue;
            auto it = locations.find(p.locationId);
            if (it == locations.end())
                it = locations.emplace(p.locationId, findLocation(s, p.locationId)).first;
            if (!it->second)
                continue;
            const Location& l = *it->second;
            if (std::any_of(
                    l.holidays.begin(), l.holidays.end(), [day](const auto& h) { return h.first == day; }))
                continue;
            auto periodZone = TimeZone::find(l.timezone);
            if (!periodZone)
                continue;
            std::int64_t start = lenientUtc(*periodZone, day * 86400 + p.startMin * 60);
            std::int64_t end = lenientUtc(*periodZone, day * 86400 + p.endMin * 60);
            start = std::max<std::int64_t>(start, rangeStart);
            end = std::min<std::int64_t>(end, rangeEnd);
            if (end > start)
                workingSeconds += uncovered({start, end}, off);
        }
    }

    _host.audit().record(
        req, clinic::AuditEvent {"doctor.stats", "doctor", std::to_string(doctorId), 0, "ok", ""});
    auto out = clinic::makeObject();
    out->set("doctor_id", doctorId);
    out->set("from", dateText(*from));
    out->set("to", dateText(*to));
    out->set("timezone", zone->name());
    out->set("booked", booked);
    out->set("completed", completed);
    out->set("cancelled", cancelled);
    out->set("no_show", noShow);
    out->set("booked_minutes", bookedSeconds / 60);
    out->set("working_minutes", workingSeconds / 60);
    out->set("utilisation",
        workingSeconds > 0 ? static_cast<double>(bookedSeconds) / static_cast<double>(workingSeconds) : 0.0);
    out->set("average_lead_time_minutes",
        booked > 0 ? Poco::Dynamic::Var(static_cast<double>(leadSeconds) / 60.0 / static_cast<double>(booked))
                   : Poco::Dynamic::Var());
    return Response::json(out);
}

} // namespace scheduling
