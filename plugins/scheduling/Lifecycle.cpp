// The lifecycle: confirm, check in, complete, no-show, cancel and reschedule;
// every change that frees time releases its occupancy in the same transaction.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>

#include "clinic/Events.h"
#include "clinic/Rules.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

const char* const kActiveSql = "('pending', 'confirmed', 'checked_in')";

/// 409 CONFLICT for a change the appointment's status does not allow.
HttpError wrongStatus(const std::string& status, const std::string& what)
{
    auto details = clinic::makeObject();
    details->set("status", status);
    return HttpError::conflict("an appointment that is " + status + " cannot " + what, details);
}

} // namespace

Response AppointmentBook::Impl::transition(Request& req, const std::string& to)
{
    static const std::map<std::string, std::set<std::string>> from = {
        {"confirmed", {"pending"}},
        {"checked_in", {"pending", "confirmed"}},
        {"completed", {"checked_in"}},
        {"no_show", {"pending", "confirmed"}},
    };
    Appointment a = loadFor(req, "appointment.update");
    if (req.caller.role == "patient" && to == "checked_in") {
        // A patient checks in at the kiosk on the day, not from home a week early.
        auto s = _host.database().session();
        auto zone = zoneOf(s, a.locationId);
        const std::int64_t nowUtc = nowSeconds();
        if (floorDiv(a.startUtc + zone->offsetAt(a.startUtc), 86400)
            != floorDiv(nowUtc + zone->offsetAt(nowUtc), 86400))
            throw HttpError::conflict("check-in opens on the day of the appointment");
    }
    const auto& allowed = from.at(to);
    const std::int64_t nowUtc = nowSeconds();
    if (to == "no_show" && a.startUtc > nowUtc)
        throw HttpError::conflict("an appointment that has not started cannot be a no-show");
    _host.database().transact([&](clinic::Transaction& tx) {
        auto current = findAppointment(tx.session(), a.id, true);
        if (!current)
            throw HttpError::notFound("no such appointment");
        a = *current;
        if (!allowed.count(a.status))
            throw wrongStatus(a.status, "become " + to);
        if (to == "no_show" && a.startUtc > nowUtc)
            throw HttpError::conflict("an appointment that has not started cannot be a no-show");
        if (!changeStatus(tx, req, a, to, nowUtc))
            throw HttpError::conflict("the appointment changed meanwhile; try again");
    });
    auto s = _host.database().session();
    return Response::json(toJson(s, a));
}

bool AppointmentBook::Impl::changeStatus(
    clinic::Transaction& tx, Request& req, Appointment& a, const std::string& to, std::int64_t nowUtc)
{
    // Conditional on the status read: of two racing changes (a check-in and
    // the automatic no-show, two clerks) exactly one matches the row.
    std::string newStatus = to, old = a.status;
    Poco::Int64 at = nowUtc, id = a.id;
    Poco::Data::Statement st(tx.session());
    st << "UPDATE scheduling_appointments SET status = ?, sequence = sequence + 1, updated_at = ?"
          " WHERE id = ? AND status = ?",
        use(newStatus), use(at), use(id), use(old);
    if (st.execute() != 1)
        return false;
    a.status = to;
    a.sequence += 1;
    a.updatedAt = nowUtc;
    if (to == "no_show") {
        release(tx, a.id);
        tx.afterCommit([this] { _noShows->Increment(); });
    }
    audit(tx, req, "appointment.update", a);
    auto payload = eventPayload(a);
    payload->set("from", old);
    _host.events().publish(tx, clinic::Event {"appointment.status_changed", payload});
    return true;
}

Response AppointmentBook::Impl::cancel(Request& req)
{
    Appointment first = loadFor(req, "appointment.cancel");
    auto body = req.body.empty() ? clinic::makeObject() : req.jsonObject();
    clinic::FieldReader in(body);
    const std::string reason = in.optionalString("reason", 0, 500).value_or("");
    const std::string scope = in.optionalString("scope", 1, 10).value_or("one");
    if (scope != "one" && scope != "following")
        in.fail("scope", "must be one or following");
    if (scope == "following" && !first.seriesId)
        in.fail("scope", "this appointment is not part of a series");
    in.finish();
    if (!first.active())
        throw wrongStatus(first.status, "be cancelled");

    auto s = _host.database().session();
    const std::int64_t nowUtc = nowSeconds();
    auto doctor = findDoctor(s, first.doctorId);
    auto service = findService(s, first.serviceId);
    auto location = findLocation(s, first.locationId);
    auto patient = patientContext(first.patientId, first.startUtc);
    BookingFacts facts {doctor ? &*doctor : nullptr, service ? &*service : nullptr,
        location ? &*location : nullptr, patient, req.caller.role, nowUtc, first.startUtc};
    auto decision = SchedulingRules(_host).cancelPolicy(bookingContext(facts), helpers());
    if (decision.failed())
        _host.logger().error("cancel_policy rule failed: " + decision.error);
    if (!decision.allowed)
        throw ruleRejected("cancel_policy", decision.reason.empty() ? "rule error" : decision.reason);
    const Poco::Int64 fee = std::max<std::int64_t>(0, decision.feeMinor.value_or(0));

    std::vector<Appointment> done;
    _host.database().transact([&](clinic::Transaction& tx) {
        done.clear();
        std::vector<Poco::Int64> ids {first.id};
        if (scope == "following") {
            Poco::Int64 series = first.seriesId, start = first.startUtc;
            ids.clear();
            tx.session() << "SELECT id FROM scheduling_appointments WHERE series_id = ? AND start_utc >= ?"
                            " AND status IN "
                    + std::string(kActiveSql) + " ORDER BY start_utc",
                use(series), use(start), into(ids), now;
        }
        for (Poco::Int64 id : ids) {
            auto current = findAppointment(tx.session(), id, true);
            if (!current)
                continue;
            Appointment a = *current;
            if (!a.active()) {
                if (id == first.id)
                    throw wrongStatus(a.status, "be cancelled");
                continue;
            }
            std::string old = a.status, why = reason;
            Poco::Int64 at = nowUtc, f = id == first.id ? fee : 0;
            Poco::Data::Statement st(tx.session());
            st << "UPDATE scheduling_appointments SET status = 'cancelled', sequence = sequence + 1,"
                  " cancel_reason = ?, fee_minor = ?, updated_at = ? WHERE id = ? AND status = ?",
                use(why), use(f), use(at), use(id), use(old);
            if (st.execute() != 1)
                throw HttpError::conflict("the appointment changed meanwhile; try again");
            a.status = "cancelled";
            a.sequence += 1;
            a.cancelReason = reason;
            a.feeMinor = f;
            a.updatedAt = nowUtc;
            release(tx, a.id);
            audit(tx, req, "appointment.cancel", a);
            auto payload = eventPayload(a);
            payload->set("from", old);
            payload->set("fee_minor", a.feeMinor);
            _host.events().publish(tx, clinic::Event {"appointment.cancelled", payload});
            scheduleNotices(tx, a, "cancelled");
            offerFreedSlot(tx, a);
            done.push_back(a);
        }
    });
    _cancelled->Increment(static_cast<double>(done.size()));
    if (scope == "one")
        return Response::json(toJson(s, done.front()));
    auto out = clinic::makeObject();
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (const auto& a : done)
        items->add(toJson(s, a));
    out->set("items", items);
    return Response::json(out);
}

Response AppointmentBook::Impl::reschedule(Request& req)
{
    Appointment a = loadFor(req, "appointment.reschedule");
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    std::string startText;
    const std::int64_t start = readStart(in, "start", startText);
    in.finish();
    if (!a.active())
        throw wrongStatus(a.status, "be moved");
    auto s = _host.database().session();
    const std::int64_t nowUtc = nowSeconds();
    auto doctor = findDoctor(s, a.doctorId);
    auto service = findService(s, a.serviceId);
    if (!doctor || !service)
        throw HttpError::conflict("the appointment's doctor or service no longer exists");
    auto patient = patientContext(a.patientId, start);
    // Moving a visit holds no more than before: the one moved is not counted.
    if (patient && a.startUtc >= nowUtc && patient->optValue<Poco::Int64>("open_bookings", 0) > 0)
        patient->set("open_bookings", patient->optValue<Poco::Int64>("open_bookings", 0) - 1);
    // Moving is cancelling the old time as far as the clinic's policy goes.
    if (req.caller.role == "patient") {
        auto location = findLocation(s, a.locationId);
        BookingFacts old {&*doctor, &*service, location ? &*location : nullptr, patient, req.caller.role,
            nowUtc, a.startUtc};
        auto decision = SchedulingRules(_host).cancelPolicy(bookingContext(old), helpers());
        if (decision.failed())
            _host.logger().error("cancel_policy rule failed: " + decision.error);
        if (!decision.allowed)
            throw ruleRejected("cancel_policy", decision.reason.empty() ? "rule error" : decision.reason);
        // Moving would dodge a fee cancelling would cost: the front desk decides.
        if (decision.feeMinor.value_or(0) > 0)
            throw ruleRejected("cancel_policy",
                "moving this appointment now would cost a cancellation fee; please contact the clinic");
    }
    std::map<Poco::Int64, Location> locations;
    auto hours = hoursOf(s, doctor->id);
    Placement p = place(s, req, *doctor, *service, hours, patient, start, nowUtc, locations);
    if (!p.error.empty()) {
        if (p.errorCode == "RULE_REJECTED")
            throw ruleRejected("before_book", p.error);
        throw HttpError::validation({{"start", p.error}});
    }
    const auto reminders = reminderPlan(p.ctx);
    Appointment moved = a;
    moved.startUtc = p.start;
    moved.endUtc = p.end;
    moved.status = "pending";
    const auto noShowAfter = noShowPlan(p.ctx, moved);
    Appointment before = a;
    _host.database().transact([&](clinic::Transaction& tx) {
        auto current = findAppointment(tx.session(), a.id, true);
        if (!current || !current->active())
            throw HttpError::conflict("the appointment changed meanwhile; try again");
        a = *current;
        before = a;
        // Free the old time and take the new one in this transaction: if the
        // new time is taken, the rollback puts the old cells back.
        release(tx, a.id);
        if (!occupy(tx, a.doctorId, a.id, p.start, p.end))
            throw slotTaken(a.doctorId, startText);
        Poco::Int64 newStart = p.start, newEnd = p.end, loc = p.location.id, at = nowUtc, id = a.id;
        tx.session() << "UPDATE scheduling_appointments SET start_utc = ?, end_utc = ?, location_id = ?,"
                        " status = 'pending', sequence = sequence + 1, updated_at = ? WHERE id = ?",
            use(newStart), use(newEnd), use(loc), use(at), use(id), now;
        a.startUtc = p.start;
        a.endUtc = p.end;
        a.locationId = p.location.id;
        a.status = "pending";
        a.sequence += 1;
        a.updatedAt = nowUtc;
        audit(tx, req, "appointment.reschedule", a);
        auto payload = eventPayload(a);
        payload->set("old_start_utc", before.startUtc);
        payload->set("old_end_utc", before.endUtc);
        _host.events().publish(tx, clinic::Event {"appointment.rescheduled", payload});
        scheduleNotices(tx, a, "rescheduled", reminders);
        scheduleNoShow(tx, a, noShowAfter);
        offerFreedSlot(tx, before);
    });
    return Response::json(toJson(s, a));
}

} // namespace scheduling
