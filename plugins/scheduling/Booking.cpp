// Booking one appointment: where and when it can be placed, the occupancy that
// makes a second booking of the same time fail, and the notices it schedules.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>

#include "clinic/Audit.h"
#include "clinic/Events.h"
#include "clinic/Jobs.h"
#include "clinic/Rules.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

AppointmentBook::Impl::Placement AppointmentBook::Impl::place(Poco::Data::Session& s, Request& req,
    const Doctor& doctor, const Service& service, const std::vector<Period>& hours,
    Poco::JSON::Object::Ptr patient, std::int64_t start, std::int64_t nowUtc,
    std::map<Poco::Int64, Location>& locations)
{
    Placement out;
    out.start = start;
    if (start < nowUtc) {
        out.error = "is in the past";
        return out;
    }
    if (start > nowUtc + _horizonDays * 86400) {
        out.error = "is more than " + std::to_string(_horizonDays)
            + " days ahead (scheduling.booking_horizon_days)";
        return out;
    }
    const Period* match = nullptr;
    std::int64_t day = 0;
    for (const auto& p : hours) {
        auto it = locations.find(p.locationId);
        if (it == locations.end()) {
            auto l = findLocation(s, p.locationId);
            if (!l)
                continue;
            it = locations.emplace(p.locationId, *l).first;
        }
        auto zone = TimeZone::find(it->second.timezone);
        if (!zone)
            continue;
        const std::int64_t local = start + zone->offsetAt(start);
        const std::int64_t d = floorDiv(local, 86400);
        const std::int64_t minute = (local - d * 86400) / 60;
        if (isoWeekday(d) != p.weekday || minute < p.startMin || minute >= p.endMin)
            continue;
        match = &p;
        day = d;
        out.location = it->second;
        out.zone = zone;
        break;
    }
    if (!match) {
        out.error = "is outside the doctor's working hours";
        return out;
    }
    for (const auto& [closedDay, name] : out.location.holidays)
        if (closedDay == day) {
            out.error
                = "the location is closed on " + dateText(day) + (name.empty() ? "" : " (" + name + ")");
            return out;
        }
    out.ctx = bookingContext({&doctor, &service, &out.location, patient, req.caller.role, nowUtc, start});
    const int minutes = slotMinutes(out.ctx, service);
    if (req.caller.role == "patient" && !offeredStart(start, *out.zone, day, *match, minutes)) {
        out.error = "is not a start the doctor's calendar offers; choose one from /api/v1/availability";
        return out;
    }
    out.end = start + minutes * 60;
    const std::int64_t periodEnd = lenientUtc(*out.zone, day * 86400 + match->endMin * 60);
    if (out.end > periodEnd) {
        out.error = "a " + std::to_string(minutes)
            + "-minute appointment would run past the end of working hours (" + hhmm(match->endMin) + ")";
        return out;
    }
    Poco::Int64 d = doctor.id, from = start, to = out.end;
    std::vector<std::string> off;
    s << "SELECT reason FROM scheduling_time_off WHERE doctor_id = ? AND start_utc < ? AND end_utc > ?",
        use(d), use(to), use(from), into(off), limit(1), now;
    if (!off.empty()) {
        out.error
            = "the doctor is not available then" + (off.front().empty() ? "" : " (" + off.front() + ")");
        return out;
    }
    auto decision = SchedulingRules(_host).beforeBook(out.ctx, helpers());
    if (decision.failed())
        _host.logger().error("before_book rule failed: " + decision.error);
    if (!decision.allowed) {
        out.error = decision.reason.empty() ? "rule error" : decision.reason;
        out.errorCode = "RULE_REJECTED";
    }
    return out;
}

clinic::RuleHelpers AppointmentBook::Impl::helpers()
{
    clinic::RuleHelpers h;
    h["count_bookings"] = [this](const Poco::Dynamic::Var& args) -> Poco::Dynamic::Var {
        if (args.type() != typeid(Poco::JSON::Object::Ptr))
            throw std::invalid_argument("count_bookings{patient = id, days = n} takes a table");
        auto o = args.extract<Poco::JSON::Object::Ptr>();
        Poco::Int64 patient = o->optValue<Poco::Int64>("patient", 0);
        Poco::Int64 days = o->optValue<Poco::Int64>("days", 30);
        if (days < 0 || days > 3660)
            throw std::invalid_argument("count_bookings: days must be 0..3660");
        Poco::Int64 from = nowSeconds() - days * 86400, to = nowSeconds() + days * 86400, n = 0;
        auto s = _host.database().session();
        s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND start_utc >= ?"
             " AND start_utc < ? AND status <> 'cancelled'",
            use(patient), use(from), use(to), into(n), now;
        return n;
    };
    return h;
}

bool AppointmentBook::Impl::occupy(clinic::Transaction& tx, Poco::Int64 doctorId, Poco::Int64 appointmentId,
    std::int64_t start, std::int64_t end)
{
    std::vector<Poco::Int64> cells;
    for (std::int64_t c = firstCell(start); c <= lastCell(end); ++c)
        cells.push_back(c);
    std::string sql = "INSERT INTO scheduling_occupancy (doctor_id, cell, appointment_id) VALUES ";
    for (std::size_t i = 0; i < cells.size(); ++i)
        sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
    Poco::Data::Statement st(tx.session());
    st << sql;
    for (auto& c : cells)
        st, use(doctorId), use(c), use(appointmentId);
    try {
        st.execute();
    } catch (const std::exception& e) {
        if (_host.database().isUniqueViolation(e))
            return false;
        throw;
    }
    return true;
}

void AppointmentBook::Impl::release(clinic::Transaction& tx, Poco::Int64 appointmentId)
{
    tx.session() << "DELETE FROM scheduling_occupancy WHERE appointment_id = ?", use(appointmentId), now;
}

void AppointmentBook::Impl::insertRow(clinic::Transaction& tx, Appointment& a, Poco::Int64 by)
{
    tx.session() << "INSERT INTO scheduling_appointments (series_id, patient_id, doctor_id, service_id,"
                    " location_id, start_utc, end_utc, status, notes, sequence, price_minor, currency,"
                    " fee_minor, cancel_reason, created_at, created_by, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(a.seriesId), use(a.patientId), use(a.doctorId), use(a.serviceId), use(a.locationId),
        use(a.startUtc), use(a.endUtc), use(a.status), use(a.notes), use(a.sequence), use(a.priceMinor),
        use(a.currency), use(a.feeMinor), use(a.cancelReason), use(a.createdAt), use(by), use(a.updatedAt),
        now;
    a.id = tx.lastInsertId();
}

std::vector<Reminder> AppointmentBook::Impl::reminderPlan(const Poco::JSON::Object::Ptr& ctx)
{
    auto plan = SchedulingRules(_host).reminders(ctx, _defaultReminders, helpers());
    if (plan.failed())
        _host.logger().warning("reminders rule failed, the default plan applies: " + plan.error);
    return plan.reminders;
}

void AppointmentBook::Impl::scheduleNotices(clinic::Transaction& tx, const Appointment& a,
    const std::string& what, const std::vector<Reminder>& reminders)
{
    const std::int64_t nowUtc = nowSeconds();
    auto notice = eventPayload(a);
    notice->set("notice", what);
    _host.jobs().schedule(tx, "appointment.notice", notice,
        std::chrono::system_clock::time_point(std::chrono::seconds(nowUtc)),
        "notice:appointment:" + std::to_string(a.id) + ":" + what + ":" + std::to_string(a.sequence));
    for (const auto& r : reminders) {
        const std::int64_t at = a.startUtc - static_cast<std::int64_t>(r.offsetMinutes) * 60;
        if (at <= nowUtc)
            continue; // too late for this one
        auto payload = eventPayload(a);
        payload->set("channel", r.channel);
        payload->set("offset_minutes", r.offsetMinutes);
        _host.jobs().schedule(tx, "appointment.reminder", payload,
            std::chrono::system_clock::time_point(std::chrono::seconds(at)),
            "reminder:appointment:" + std::to_string(a.id) + ":" + std::to_string(a.sequence) + ":"
                + std::to_string(r.offsetMinutes) + ":" + r.channel);
    }
}

std::int64_t AppointmentBook::Impl::readStart(
    clinic::FieldReader& in, const std::string& field, std::string& text)
{
    text = in.requiredString(field, 1, 40);
    if (text.empty())
        return 0;
    auto at = parseInstant(text);
    if (!at) {
        in.fail(field, "is not an RFC 3339 instant with an offset (2027-03-29T09:00:00+03:00)");
        return 0;
    }
    if (hasFractionalSeconds(text)) {
        in.fail(field, "must be whole seconds (2027-03-29T09:00:00+03:00): a fraction would be cut off");
        return 0;
    }
    if (*at % kCellSeconds != 0) {
        in.fail(field, "must be on a 5-minute boundary (09:00, 09:05, ...)");
        return 0;
    }
    return *at;
}

int AppointmentBook::Impl::slotMinutes(const BookingFacts& facts)
{
    return slotMinutes(bookingContext(facts), *facts.service);
}

int AppointmentBook::Impl::slotMinutes(const Poco::JSON::Object::Ptr& ctx, const Service& service)
{
    const int fallback = static_cast<int>(service.durationMin);
    auto decision = SchedulingRules(_host).slotLength(ctx, fallback, helpers());
    if (decision.failed())
        _host.logger().warning("slot_length rule failed, the service's duration applies: " + decision.error);
    int minutes = decision.minutes >= 5 && decision.minutes <= 480 ? decision.minutes : fallback;
    // Whole cells, so back-to-back slots never share one.
    return static_cast<int>((minutes + 4) / 5 * 5);
}

Response AppointmentBook::Impl::book(Request& req)
{
    auto body = req.jsonObject();
    BookingInput input;
    {
        clinic::FieldReader in(body);
        if (req.caller.role == "patient" && !in.has("patient_id"))
            input.patientId = req.caller.patientId;
        else
            input.patientId = in.requiredInt("patient_id", 1, INT64_MAX);
        input.doctorId = in.requiredInt("doctor_id", 1, INT64_MAX);
        input.serviceId = in.requiredInt("service_id", 1, INT64_MAX);
        input.start = readStart(in, "start", input.startText);
        input.notes = in.optionalString("notes", 0, 2000).value_or("");
        if (in.has("recurrence")) {
            auto r = body->get("recurrence");
            if (r.type() != typeid(Poco::JSON::Object::Ptr))
                in.fail("recurrence", "must be an object {\"freq\", \"count\" | \"until\"}");
            else
                input.recurrence = r.extract<Poco::JSON::Object::Ptr>();
        }
        if (!in.ok())
            _invalid->Increment();
        in.finish();
    }
    // A patient books only for themself; anyone else's id answers as if the
    // patient did not exist.
    // A refusal is recorded too: "who tried to book for patient X".
    try {
        if (req.caller.role == "patient" && input.patientId != req.caller.patientId)
            throw HttpError::notFound("no such patient");
        _host.access().require(req, input.patientId, PatientData::Demographics);
    } catch (const HttpError&) {
        try {
            _host.audit().record(req,
                clinic::AuditEvent {"appointment.create", "appointment", "", input.patientId, "denied", ""});
        } catch (const std::exception& e) {
            _host.logger().error(std::string("could not audit a denied booking: ") + e.what());
        }
        throw;
    }

    auto s = _host.database().session();
    std::map<std::string, std::string> errors;
    auto patient = patientContext(input.patientId, input.start);
    if (!patient)
        errors["patient_id"] = "no such patient";
    // The directory facts from memory unless they changed (one read of the
    // change counter); time off and occupancy are read below as ever.
    auto directory = _directory.view(s);
    auto doctor = directory.doctor(input.doctorId);
    auto service = directory.service(input.serviceId);
    if (!doctor)
        errors["doctor_id"] = "no such doctor";
    if (!service)
        errors["service_id"] = "no such service";
    if (doctor && service
        && std::find(doctor->serviceIds.begin(), doctor->serviceIds.end(), service->id)
            == doctor->serviceIds.end())
        errors["service_id"] = "this doctor does not offer this service";
    if (!errors.empty()) {
        _invalid->Increment();
        throw HttpError::validation(errors);
    }
    if (input.recurrence)
        return bookSeries(req, input, *doctor, *service);

    const std::int64_t nowUtc = nowSeconds();
    std::map<Poco::Int64, Location> locations;
    auto hours = directory.hours(doctor->id);
    for (const auto& period : hours)
        if (!locations.count(period.locationId))
            if (auto l = directory.location(period.locationId))
                locations.emplace(period.locationId, *l);
    Placement p = place(s, req, *doctor, *service, hours, patient, input.start, nowUtc, locations);
    if (!p.error.empty()) {
        if (p.errorCode == "RULE_REJECTED") {
            _ruleRejected->Increment();
            throw ruleRejected("before_book", p.error);
        }
        _invalid->Increment();
        throw HttpError::validation({{"start", p.error}});
    }
    Appointment a;
    a.patientId = input.patientId;
    a.doctorId = doctor->id;
    a.serviceId = service->id;
    a.locationId = p.location.id;
    a.startUtc = p.start;
    a.endUtc = p.end;
    a.notes = input.notes;
    a.priceMinor = service->priceMinor;
    a.currency = service->currency;
    a.createdAt = a.updatedAt = nowUtc;
    const auto reminders = reminderPlan(p.ctx);
    const auto noShowAfter = noShowPlan(p.ctx, a);
    try {
        _host.database().transact([&](clinic::Transaction& tx) {
            a.id = 0;
            insertRow(tx, a, req.caller.userId);
            if (!occupy(tx, a.doctorId, a.id, a.startUtc, a.endUtc))
                throw slotTaken(a.doctorId, input.startText);
            audit(tx, req, "appointment.create", a);
            _host.events().publish(tx, clinic::Event {"appointment.booked", eventPayload(a)});
            scheduleNotices(tx, a, "booked", reminders);
            scheduleNoShow(tx, a, noShowAfter);
        });
    } catch (const HttpError& e) {
        if (e.code() == "SLOT_TAKEN")
            _slotTaken->Increment();
        throw;
    }
    _created->Increment();
    Response r = Response::json(toJson(s, a), 201);
    r.headers.emplace_back("Location", "/api/v1/appointments/" + std::to_string(a.id));
    return r;
}

} // namespace scheduling
