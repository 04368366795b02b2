#include "Appointments.h"
#include "AppointmentActions.h"
#include "AppointmentBookImpl.h"
#include "BookingService.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "SchedulingSchemas.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

/// "YYYY-MM-DDTHH:MM:SS" of a local wall-clock time (seconds since the epoch
/// read as local).
std::string naiveLocal(std::int64_t local)
{
    std::string s = formatWithOffset(local, 0);
    if (!s.empty() && s.back() == 'Z')
        s.pop_back();
    return s;
}

std::string dateText(std::int64_t day)
{
    int y = 0, m = 0, d = 0;
    civilFromDays(day, y, m, d);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}

std::int64_t lenientUtc(const TimeZone& zone, std::int64_t local)
{
    auto utcs = zone.toUtc(local);
    if (!utcs.empty())
        return utcs.front();
    // In a gap: the first instant whose local time is at or after it, which
    // is the instant the clocks jumped (offsets are within +-26 hours).
    std::int64_t lo = local - 26 * 3600, hi = local + 26 * 3600;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (mid + zone.offsetAt(mid) >= local)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

HttpError ruleRejected(const std::string& rule, const std::string& reason)
{
    auto details = clinic::makeObject();
    details->set("rule", rule);
    details->set("reason", reason);
    return HttpError(
        422, "RULE_REJECTED", reason.empty() ? "the clinic's rules do not allow this" : reason, details);
}

HttpError slotTaken(std::int64_t doctorId, const std::string& start)
{
    auto details = clinic::makeObject();
    details->set("doctor_id", static_cast<Poco::Int64>(doctorId));
    details->set("start", start);
    return HttpError(409, "SLOT_TAKEN", "that time is already booked for this doctor", details);
}

std::set<std::int64_t> occupiedCells(
    Poco::Data::Session& s, std::int64_t doctorId, std::int64_t fromUtc, std::int64_t toUtc)
{
    Poco::Int64 d = doctorId, first = firstCell(fromUtc), last = lastCell(toUtc);
    std::vector<Poco::Int64> cells;
    s << "SELECT cell FROM scheduling_occupancy WHERE doctor_id = ? AND cell >= ? AND cell <= ?", use(d),
        use(first), use(last), into(cells), now;
    return {cells.begin(), cells.end()};
}

bool touches(const std::set<std::int64_t>& cells, std::int64_t start, std::int64_t end)
{
    auto it = cells.lower_bound(firstCell(start));
    return it != cells.end() && *it <= lastCell(end);
}

Poco::JSON::Object::Ptr bookingContext(const BookingFacts& f)
{
    auto ctx = clinic::makeObject();
    std::shared_ptr<const TimeZone> zone = f.location ? TimeZone::find(f.location->timezone) : nullptr;
    auto local = [&](std::int64_t utc) { return utc + (zone ? zone->offsetAt(utc) : 0); };
    if (f.startUtc) {
        const std::int64_t start = *f.startUtc;
        ctx->set("start_local", naiveLocal(local(start)));
        ctx->set("start_utc", formatWithOffset(start, 0));
        ctx->set("weekday", isoWeekday(floorDiv(local(start), 86400)));
        ctx->set("minutes_until_start", static_cast<Poco::Int64>(floorDiv(start - f.nowUtc, 60)));
    }
    ctx->set("now_local", naiveLocal(local(f.nowUtc)));
    ctx->set("now_utc", formatWithOffset(f.nowUtc, 0));
    if (f.patient)
        ctx->set("patient", f.patient);
    if (f.doctor) {
        auto d = clinic::makeObject();
        d->set("id", f.doctor->id);
        d->set("name", f.doctor->name);
        d->set("specialty", f.doctor->specialty);
        ctx->set("doctor", d);
    }
    if (f.service) {
        auto s = clinic::makeObject();
        s->set("id", f.service->id);
        s->set("name", f.service->name);
        s->set("department", f.service->department);
        s->set("duration_min", f.service->durationMin);
        s->set("price_minor", f.service->priceMinor);
        s->set("currency", f.service->currency);
        ctx->set("service", s);
    }
    if (f.location) {
        auto l = clinic::makeObject();
        l->set("id", f.location->id);
        l->set("name", f.location->name);
        l->set("timezone", f.location->timezone);
        ctx->set("location", l);
    }
    auto actor = clinic::makeObject();
    actor->set("role", f.actorRole);
    ctx->set("actor", actor);
    return ctx;
}

std::int64_t AppointmentBook::Impl::nowSeconds() const
{
    return clinic::nowSeconds(_host.clock());
}

std::optional<Appointment> AppointmentBook::Impl::findAppointment(
    Poco::Data::Session& s, Poco::Int64 id, bool forUpdate)
{
    std::vector<ApptRow> rows;
    std::string sql = std::string("SELECT ") + kApptColumns + " FROM scheduling_appointments WHERE id = ?";
    if (forUpdate && _host.database().dialect() == clinic::Dialect::MySQL)
        sql += " FOR UPDATE";
    s << sql, use(id), into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return Appointment::from(rows.front());
}

std::shared_ptr<const TimeZone> AppointmentBook::Impl::zoneOf(Poco::Data::Session& s, Poco::Int64 locationId)
{
    {
        std::lock_guard<std::mutex> lock(_zonesMutex);
        auto it = _zones.find(locationId);
        if (it != _zones.end())
            return it->second;
    }
    std::vector<std::string> names;
    s << "SELECT timezone FROM scheduling_locations WHERE id = ?", use(locationId), into(names), now;
    auto zone = names.empty() ? nullptr : TimeZone::find(names.front());
    if (!zone)
        zone = TimeZone::find("UTC");
    // A location's zone may be changed by PATCH; the cache is only for
    // showing instants and is refreshed on the next start. Booking checks
    // read the location itself.
    std::lock_guard<std::mutex> lock(_zonesMutex);
    _zones[locationId] = zone;
    return zone;
}

std::shared_ptr<const TimeZone> AppointmentBook::Impl::clinicZone(Poco::Data::Session& s)
{
    // Locations are never deleted, so the first one, once there, stays.
    Poco::Int64 first = _firstLocation.load();
    if (!first) {
        std::vector<Poco::Int64> ids;
        s << "SELECT id FROM scheduling_locations ORDER BY id", into(ids), limit(1), now;
        if (ids.empty())
            return TimeZone::find("UTC");
        _firstLocation = first = ids.front();
    }
    return zoneOf(s, first);
}

Poco::JSON::Object::Ptr AppointmentBook::Impl::toJson(Poco::Data::Session& s, const Appointment& a)
{
    auto zone = zoneOf(s, a.locationId);
    auto o = clinic::makeObject();
    o->set("id", a.id);
    o->set("series_id", a.seriesId ? Poco::Dynamic::Var(a.seriesId) : Poco::Dynamic::Var());
    o->set("patient_id", a.patientId);
    o->set("doctor_id", a.doctorId);
    o->set("service_id", a.serviceId);
    o->set("location_id", a.locationId);
    o->set("start", formatWithOffset(a.startUtc, zone->offsetAt(a.startUtc)));
    o->set("end", formatWithOffset(a.endUtc, zone->offsetAt(a.endUtc)));
    o->set("duration_min", (a.endUtc - a.startUtc) / 60);
    o->set("status", a.status);
    o->set("notes", a.notes);
    o->set("sequence", a.sequence);
    o->set("price_minor", a.priceMinor);
    o->set("currency", a.currency);
    o->set("fee_minor", a.feeMinor);
    o->set(
        "cancel_reason", a.cancelReason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(a.cancelReason));
    o->set("created_at", formatWithOffset(a.createdAt, 0));
    o->set("updated_at", formatWithOffset(a.updatedAt, 0));
    return o;
}

void AppointmentBook::Impl::requireAccess(Request& req, const Appointment& a, const std::string& action)
{
    try {
        _host.access().require(req, a.patientId, PatientData::Demographics);
    } catch (const HttpError& e) {
        try {
            _host.audit().record(req,
                clinic::AuditEvent {action, "appointment", std::to_string(a.id), a.patientId, "denied", ""});
        } catch (const std::exception& ex) {
            _host.logger().error("could not audit a denied " + action + ": " + ex.what());
        }
        if (e.status() == 404)
            throw HttpError::notFound("no such appointment");
        throw;
    }
}

Appointment AppointmentBook::Impl::loadFor(Request& req, const std::string& action)
{
    auto s = _host.database().session();
    auto a = findAppointment(s, req.idParam("id"));
    if (!a) {
        // A patient probing ids gets the same audit write for a missing
        // appointment as for another patient's, so the 404s cost the same.
        if (req.caller.role == "patient")
            try {
                _host.audit().record(req,
                    clinic::AuditEvent {
                        action, "appointment", std::to_string(req.idParam("id")), 0, "denied", ""});
            } catch (const std::exception& e) {
                _host.logger().error("could not audit a denied " + action + ": " + e.what());
            }
        throw HttpError::notFound("no such appointment");
    }
    requireAccess(req, *a, action);
    return *a;
}

void AppointmentBook::Impl::audit(
    clinic::Transaction& tx, Request& req, const std::string& action, const Appointment& a)
{
    _host.audit().record(
        tx, req, clinic::AuditEvent {action, "appointment", std::to_string(a.id), a.patientId, "ok", ""});
}

Poco::JSON::Object::Ptr AppointmentBook::Impl::eventPayload(const Appointment& a)
{
    auto p = clinic::makeObject();
    p->set("appointment_id", a.id);
    p->set("patient_id", a.patientId);
    p->set("doctor_id", a.doctorId);
    p->set("service_id", a.serviceId);
    p->set("location_id", a.locationId);
    p->set("start_utc", a.startUtc);
    p->set("end_utc", a.endUtc);
    p->set("status", a.status);
    p->set("sequence", a.sequence);
    if (a.seriesId)
        p->set("series_id", a.seriesId);
    return p;
}

bool AppointmentBook::Impl::isPatientOf(std::int64_t doctorId, std::int64_t patientId) const
{
    auto s = _host.database().session();
    Poco::Int64 d = doctorId, p = patientId, n = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND doctor_id = ?"
         " AND status <> 'cancelled'",
        use(p), use(d), into(n), now;
    return n > 0;
}

// ---- start ------------------------------------------------------------------

void AppointmentBook::Impl::start()
{
    _patients
        = _host.services().find<clinic::records::PatientRegistry>(clinic::records::kPatientRegistryService);
    if (!_patients)
        throw std::runtime_error("the records plugin's patient registry is not published");
    _horizonDays = _host.config().getInt64("scheduling.booking_horizon_days", 366);
    if (_horizonDays < 1 || _horizonDays > 3660)
        throw std::runtime_error("scheduling.booking_horizon_days must be from 1 to 3660");
    _defaultReminders = {{24 * 60, "email"}};

    auto& bookings = prometheus::BuildCounter()
                         .Name("clinicd_bookings_total")
                         .Help("Booking attempts by outcome: created, slot_taken, rule_rejected, invalid")
                         .Register(_host.metrics());
    _created = &bookings.Add({{"outcome", "created"}});
    _slotTaken = &bookings.Add({{"outcome", "slot_taken"}});
    _ruleRejected = &bookings.Add({{"outcome", "rule_rejected"}});
    _invalid = &bookings.Add({{"outcome", "invalid"}});
    _cancelled = &prometheus::BuildCounter()
                      .Name("clinicd_appointments_cancelled_total")
                      .Help("Appointments cancelled")
                      .Register(_host.metrics())
                      .Add({});
    _noShows = &prometheus::BuildCounter()
                    .Name("clinicd_appointments_no_show_total")
                    .Help("Appointments marked no-show")
                    .Register(_host.metrics())
                    .Add({});
    _waiting = &prometheus::BuildGauge()
                    .Name("clinicd_waitlist_entries")
                    .Help("Waitlist entries waiting for a slot")
                    .Register(_host.metrics())
                    .Add({});
    refreshWaiting();
    _host.jobs().registerHandler("appointment.no_show",
        [this](const clinic::Job& job, clinic::Transaction& tx) { runNoShow(job, tx); });
    _host.jobs().registerHandler("appointment.no_show_plan",
        [this](const clinic::Job& job, clinic::Transaction& tx) { runNoShowPlanning(job, tx); });
    planMissingNoShows();

    namespace roles = clinic::roles;
    using clinic::Contract;
    using clinic::listOf;
    using clinic::Schema;
    clinic::RouteTable<Impl> routes(_host.router(), *this);
    routes.add("POST", "/api/v1/appointments", roles::everyone, &Impl::book,
        "scheduling: book an appointment, or a recurring series",
        Contract()
            .accepts(schemas::bookingInput())
            .returns(201, "the appointment, or the series booked", schemas::booked()));
    routes.add("GET", "/api/v1/appointments", roles::everyone, &Impl::list,
        "scheduling: appointments (?doctor_id=&patient_id=&from=&to=&status=)",
        Contract()
            .param("doctor_id", Schema::id(), "this doctor's")
            .param("patient_id", Schema::id(), "this patient's")
            .param("from", Schema::string(), "a local date YYYY-MM-DD or an RFC 3339 instant")
            .param("to", Schema::string(), "a local date YYYY-MM-DD (inclusive) or an RFC 3339 instant")
            .param("status",
                Schema::enumOf({"pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"}),
                "only this status")
            .page()
            .returns(200, "appointments by start", listOf(schemas::appointment())));
    routes.add("GET", "/api/v1/appointments/{id}", roles::everyone, &Impl::get, "scheduling: one appointment",
        Contract().returns(200, "the appointment", schemas::appointment()));
    routes.add("GET", "/api/v1/appointments/{id}.ics", roles::everyone, &Impl::ics,
        "scheduling: one appointment as iCalendar",
        Contract().returnsText(200, "text/calendar", "a VCALENDAR with the appointment as a VEVENT"));
    struct Step {
        const char* path;
        const char* status;
        const std::set<std::string>& allowed;
    };
    static const Step steps[] = {
        {"confirm", "confirmed", roles::everyone},
        {"check-in", "checked_in", roles::everyone},
        {"complete", "completed", roles::clinical},
        {"no-show", "no_show", roles::staff},
    };
    for (const auto& step : steps) {
        const std::string to = step.status;
        _host.router().add({"POST", std::string("/api/v1/appointments/{id}/") + step.path,
            clinic::Access::only(step.allowed), [this, to](Request& req) { return transition(req, to); },
            std::string("scheduling: mark an appointment ") + step.status,
            Contract()
                .accepts(schemas::noFields())
                .returns(200, std::string("the appointment, now ") + step.status, schemas::appointment())});
    }
    routes.add("POST", "/api/v1/appointments/{id}/cancel", roles::everyone, &Impl::cancel,
        "scheduling: cancel an appointment ({\"reason\", \"scope\": \"one\"|\"following\"})",
        Contract()
            .accepts(schemas::cancelInput())
            .returns(200, "the cancelled appointment, or {items} for a series", schemas::cancelled()));
    routes.add("POST", "/api/v1/appointments/{id}/reschedule", roles::everyone, &Impl::reschedule,
        "scheduling: move an appointment to another start ({\"start\"})",
        Contract()
            .accepts(schemas::rescheduleInput())
            .returns(200, "the moved appointment", schemas::appointment()));
    routes.add("GET", "/api/v1/doctors/{id}/calendar.ics", roles::staff, &Impl::doctorFeed,
        "scheduling: a doctor's appointments as an iCalendar feed",
        Contract().returnsText(
            200, "text/calendar", "a VCALENDAR from yesterday on, cancelled ones included"));
    routes.add("GET", "/api/v1/waitlist", roles::everyone, &Impl::listWaitlist,
        "scheduling: waitlist entries",
        Contract()
            .param("patient_id", Schema::id(), "this patient's")
            .page()
            .returns(200, "waitlist entries", listOf(schemas::waitlistEntry())));
    routes.add("POST", "/api/v1/waitlist", roles::everyone, &Impl::addWaitlist,
        "scheduling: join the waitlist",
        Contract().accepts(schemas::waitlistInput()).returns(201, "the entry", schemas::waitlistEntry()));
    routes.add("DELETE", "/api/v1/waitlist/{id}", roles::everyone, &Impl::removeWaitlist,
        "scheduling: leave the waitlist", Contract().returnsNothing(204, "left"));
    routes.add("GET", "/api/v1/stats/dashboard", roles::frontDesk, &Impl::dashboard,
        "reports: today's load, counts by status, no-show rate, utilisation",
        Contract().returns(200, "today in the clinic's zone", schemas::dashboard()));
    routes.add("GET", "/api/v1/reports/monthly", roles::frontDesk, &Impl::monthly,
        "reports: per doctor for a month (?month=YYYY-MM; Accept: text/csv for CSV)",
        Contract()
            .param("month", Schema::string(7, 7).describe("YYYY-MM"), "the month, in the clinic's zone", true)
            .param(
                "by", Schema::enumOf({"doctor", "department"}), "one line per doctor (default) or department")
            .returns(
                200, "per doctor: booked, completed, cancelled, no-show, revenue", schemas::monthlyReport())
            .returnsText(200, "text/csv", "the same as CSV, on Accept: text/csv"));
    routes.add("GET", "/api/v1/doctors/{id}/stats", roles::physicians, &Impl::doctorStats,
        "reports: a doctor's figures over local dates (?from=&to=; a doctor only their own)",
        Contract()
            .param("from", Schema::date(), "first local date of the doctor's main location, inclusive", true)
            .param("to", Schema::date(), "last local date, inclusive; at most 62 days after from", true)
            .returns(200, "booked, completed, cancelled, no-show, utilisation, average lead time",
                schemas::doctorStats()));
}

AppointmentBook::Impl::PatientFacts AppointmentBook::Impl::patientFacts(std::int64_t patientId)
{
    PatientFacts out;
    auto profile = _patients ? _patients->profile(patientId) : nullptr;
    if (!profile)
        return out;
    out.ctx = clinic::makeObject();
    out.ctx->set("id", static_cast<Poco::Int64>(patientId));
    out.born = parseDate(profile->optValue<std::string>("birth_date", ""));
    out.ctx->set("sex", profile->optValue<std::string>("sex", "X"));
    auto s = _host.database().session();
    Poco::Int64 id = patientId, done = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND status = 'completed'",
        use(id), into(done), now;
    out.ctx->set("is_new", done == 0);
    // Open appointments still ahead, for the default rule that caps how many
    // a patient may hold (lua/rules/default.lua, policy.max_open_bookings).
    Poco::Int64 open = 0, from = nowSeconds();
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND start_utc >= ?"
         " AND status IN ('pending', 'confirmed', 'checked_in')",
        use(id), use(from), into(open), now;
    out.ctx->set("open_bookings", open);
    out.ctx->set("allergies", profile->has("allergies") ? profile->get("allergies") : Poco::Dynamic::Var());
    out.zone = clinicZone(s);
    return out;
}

Poco::JSON::Object::Ptr AppointmentBook::Impl::patientAt(
    const PatientFacts& facts, std::optional<std::int64_t> atUtc)
{
    if (!facts.ctx)
        return nullptr;
    Poco::JSON::Object::Ptr p = new Poco::JSON::Object(*facts.ctx);
    if (facts.born) {
        // Whole years on the clinic's local date of that instant.
        int by = 0, bm = 0, bd = 0, y = 0, m = 0, d = 0;
        civilFromDays(*facts.born, by, bm, bd);
        const std::int64_t at = atUtc.value_or(nowSeconds());
        civilFromDays(floorDiv(at + facts.zone->offsetAt(at), 86400), y, m, d);
        const int age = y - by - ((m < bm || (m == bm && d < bd)) ? 1 : 0);
        p->set("age", age < 0 ? 0 : age);
    }
    return p;
}

Poco::JSON::Object::Ptr AppointmentBook::Impl::patientContext(
    std::int64_t patientId, std::optional<std::int64_t> atUtc)
{
    return patientAt(patientFacts(patientId), atUtc);
}

// ---- AppointmentBook ------------------------------------------------------------------

AppointmentBook::AppointmentBook(clinic::Host& host)
    : _impl(std::make_shared<Impl>(host))
{
}

AppointmentBook::~AppointmentBook() = default;

void AppointmentBook::start()
{
    _impl->start();
    // Which patients a doctor treats, for access.doctors_own_patients_only:
    // those with an appointment with them that was not cancelled.
    _impl->host().services().publish<clinic::CareRelationships>(
        clinic::kCareRelationshipService, std::static_pointer_cast<clinic::CareRelationships>(_impl));
    _impl->host().services().publish<clinic::scheduling::AppointmentActions>(
        clinic::scheduling::kAppointmentActionsService, makeAppointmentActions(_impl));
    publishBooking(_impl->host(), _impl);
}

DirectoryCache& AppointmentBook::directory()
{
    return _impl->directory();
}

Poco::JSON::Object::Ptr AppointmentBook::patientContext(
    std::int64_t patientId, std::optional<std::int64_t> atUtc)
{
    return _impl->patientContext(patientId, atUtc);
}

int AppointmentBook::slotMinutes(const BookingFacts& facts)
{
    return _impl->slotMinutes(facts);
}

} // namespace scheduling
