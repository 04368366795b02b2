// A recurring series: its occurrences booked together, those that cannot be
// placed reported as skipped.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>

#include "clinic/Events.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

constexpr int kMaxOccurrences = 52;

/// [{"start_local", "reason"}] of the occurrences a series skipped.
Poco::JSON::Array::Ptr skippedJson(const std::vector<std::pair<std::string, std::string>>& skipped)
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& [label, reason] : skipped) {
        auto o = clinic::makeObject();
        o->set("start_local", label);
        o->set("reason", reason);
        list->add(o);
    }
    return list;
}

} // namespace

Response AppointmentBook::Impl::bookSeries(
    Request& req, const BookingInput& input, const Doctor& doctor, const Service& service)
{
    clinic::FieldReader in(input.recurrence);
    const std::string freq = in.requiredString("freq", 1, 10);
    if (!freq.empty() && freq != "daily" && freq != "weekly" && freq != "monthly")
        in.fail("freq", "must be daily, weekly or monthly");
    auto count = in.optionalInt("count", 1, kMaxOccurrences);
    auto untilText = in.optionalString("until", 10, 10);
    std::optional<std::int64_t> untilDay;
    if (untilText) {
        untilDay = parseDate(*untilText);
        if (!untilDay)
            in.fail("until", "is not a date YYYY-MM-DD that exists");
    }
    if (count && untilText)
        in.fail("recurrence", "give count or until, not both");
    if (untilDay && input.start && floorDiv(input.start, 86400) - 1 > *untilDay)
        in.fail("until", "is before the first occurrence");
    if (!count && !untilText && in.ok())
        in.fail("recurrence", "needs count (at most 52) or until (a date)");
    if (!in.ok()) {
        _invalid->Increment();
        // Name the fields under recurrence.
        try {
            in.finish();
        } catch (const HttpError& e) {
            auto fields = e.details() ? e.details()->getObject("fields") : nullptr;
            std::map<std::string, std::string> named;
            if (fields)
                for (const auto& [k, v] : *fields)
                    named[k == "recurrence" ? k : "recurrence." + k] = v.toString();
            throw HttpError::validation(named);
        }
    }

    auto s = _host.database().session();
    // Occurrences keep the first one's local wall-clock time in the zone of
    // the doctor's main location.
    auto main = findLocation(s, doctor.locationId);
    auto zone = main ? TimeZone::find(main->timezone) : nullptr;
    if (!zone)
        zone = TimeZone::find("UTC");
    const std::int64_t local0 = input.start + zone->offsetAt(input.start);
    const std::int64_t day0 = floorDiv(local0, 86400), timeOfDay = local0 - day0 * 86400;
    int y0 = 0, m0 = 0, d0 = 0;
    civilFromDays(day0, y0, m0, d0);

    struct Candidate {
        std::string label; ///< local date and time, for the report
        std::optional<std::int64_t> start;
        std::string reason;
    };
    std::vector<Candidate> candidates;
    for (int k = 0;; ++k) {
        if (count && k >= *count)
            break;
        std::int64_t day = 0;
        std::string label;
        if (freq == "monthly") {
            int months = m0 - 1 + k, y = y0 + months / 12, m = months % 12 + 1;
            day = daysFromCivil(y, m, 1) + d0 - 1;
            int cy = 0, cm = 0, cd = 0;
            civilFromDays(day, cy, cm, cd);
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d0);
            if (untilDay && daysFromCivil(y, m, 1) > *untilDay)
                break;
            if (cm != m) {
                candidates.push_back({buf, std::nullopt, "there is no such date"});
                if (static_cast<int>(candidates.size()) > kMaxOccurrences)
                    break;
                continue;
            }
        } else {
            day = day0 + static_cast<std::int64_t>(k) * (freq == "weekly" ? 7 : 1);
        }
        if (untilDay && day > *untilDay)
            break;
        label = naiveLocal(day * 86400 + timeOfDay);
        auto utcs = zone->toUtc(day * 86400 + timeOfDay);
        if (utcs.empty()) {
            candidates.push_back(
                {label, std::nullopt, "this local time does not exist that day (clocks go forward)"});
        } else {
            // A time that exists twice (clocks go back) keeps the offset the
            // first occurrence was asked with, where it can.
            std::int64_t at = k == 0 ? input.start : utcs.front();
            for (auto u : utcs)
                if (k > 0 && zone->offsetAt(u) == zone->offsetAt(input.start))
                    at = u;
            candidates.push_back({label, at, ""});
        }
        if (static_cast<int>(candidates.size()) > kMaxOccurrences)
            break;
    }
    if (static_cast<int>(candidates.size()) > kMaxOccurrences) {
        _invalid->Increment();
        throw HttpError::validation({{"recurrence.until",
            "a series has at most " + std::to_string(kMaxOccurrences)
                + " occurrences; choose an earlier date"}});
    }

    const std::int64_t nowUtc = nowSeconds();
    std::map<Poco::Int64, Location> locations;
    auto hours = hoursOf(s, doctor.id);
    const PatientFacts patientRead = patientFacts(input.patientId);
    struct Planned {
        std::string label;
        Placement placement;
        std::vector<Reminder> reminders;
        std::optional<int> noShowAfter;
    };
    std::vector<Planned> planned;
    std::vector<std::pair<std::string, std::string>> skippedBefore;
    std::size_t ruleRejections = 0;
    for (auto& c : candidates) {
        if (!c.start) {
            skippedBefore.emplace_back(c.label, c.reason);
            continue;
        }
        auto patient = patientAt(patientRead, *c.start);
        // The occurrences planned before this one count as held: a series
        // must not step around the cap on open bookings.
        if (patient)
            patient->set("open_bookings",
                patient->optValue<Poco::Int64>("open_bookings", 0)
                    + static_cast<Poco::Int64>(planned.size()));
        Placement p = place(s, req, doctor, service, hours, patient, *c.start, nowUtc, locations);
        if (!p.error.empty()) {
            skippedBefore.emplace_back(c.label, p.error);
            ruleRejections += p.errorCode == "RULE_REJECTED";
            continue;
        }
        Appointment draft;
        draft.startUtc = p.start;
        draft.endUtc = p.end;
        auto reminders = reminderPlan(p.ctx);
        planned.push_back({c.label, p, std::move(reminders), noShowPlan(p.ctx, draft)});
    }

    Poco::Int64 seriesId = 0;
    std::vector<Appointment> made;
    std::vector<std::pair<std::string, std::string>> skipped;
    _host.database().transact([&](clinic::Transaction& tx) {
        made.clear();
        skipped = skippedBefore;
        if (planned.empty())
            return;
        Poco::Int64 at = nowUtc, by = req.caller.userId;
        std::string f = freq;
        tx.session() << "INSERT INTO scheduling_series (freq, created_at, created_by) VALUES (?, ?, ?)",
            use(f), use(at), use(by), now;
        seriesId = tx.lastInsertId();
        for (auto& p : planned) {
            Appointment a;
            a.seriesId = seriesId;
            a.patientId = input.patientId;
            a.doctorId = doctor.id;
            a.serviceId = service.id;
            a.locationId = p.placement.location.id;
            a.startUtc = p.placement.start;
            a.endUtc = p.placement.end;
            a.notes = input.notes;
            a.priceMinor = service.priceMinor;
            a.currency = service.currency;
            a.createdAt = a.updatedAt = nowUtc;
            insertRow(tx, a, by);
            if (!occupy(tx, a.doctorId, a.id, a.startUtc, a.endUtc)) {
                Poco::Int64 id = a.id;
                tx.session() << "DELETE FROM scheduling_appointments WHERE id = ?", use(id), now;
                skipped.emplace_back(p.label, "that time is already booked for this doctor");
                continue;
            }
            audit(tx, req, "appointment.create", a);
            _host.events().publish(tx, clinic::Event {"appointment.booked", eventPayload(a)});
            scheduleNotices(tx, a, "booked", p.reminders);
            scheduleNoShow(tx, a, p.noShowAfter);
            made.push_back(a);
        }
        if (made.empty()) {
            // Nothing could be booked: no series either (the 409/422 below).
            tx.session() << "DELETE FROM scheduling_series WHERE id = ?", use(seriesId), now;
            seriesId = 0;
        }
    });
    if (made.empty()) {
        bool allTaken = !skipped.empty() && std::all_of(skipped.begin(), skipped.end(), [](const auto& x) {
            return x.second == "that time is already booked for this doctor";
        });
        auto details = clinic::makeObject();
        details->set("skipped", skippedJson(skipped));
        if (allTaken) {
            _slotTaken->Increment();
            throw HttpError(409, "SLOT_TAKEN", "every occurrence is already booked", details);
        }
        if (ruleRejections > 0 && ruleRejections == skipped.size()) {
            _ruleRejected->Increment();
            details->set("rule", "before_book");
            details->set("reason", skipped.front().second);
            throw HttpError(422, "RULE_REJECTED", skipped.front().second, details);
        }
        _invalid->Increment();
        throw HttpError(422, "VALIDATION_FAILED", "no occurrence of the series can be booked", details);
    }
    _created->Increment(static_cast<double>(made.size()));
    auto out = clinic::makeObject();
    out->set("series_id", seriesId);
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& a : made)
        items->add(toJson(s, a));
    out->set("items", items);
    std::sort(skipped.begin(), skipped.end());
    out->set("skipped", skippedJson(skipped));
    return Response::json(out, 201);
}

} // namespace scheduling
