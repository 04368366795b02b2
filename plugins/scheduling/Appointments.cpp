#include "Appointments.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>

#include <Poco/Data/Statement.h>
#include <Poco/NumberParser.h>
#include <Poco/Tuple.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "Calendar.h"
#include "clinic/Access.h"
#include "clinic/Audit.h"
#include "clinic/Events.h"
#include "clinic/Jobs.h"
#include "clinic/Json.h"
#include "clinic/Rules.h"
#include "clinic/records/PatientRegistry.h"

using namespace Poco::Data::Keywords;
using clinic::HttpError;
using clinic::PatientData;
using clinic::Request;
using clinic::Response;

namespace scheduling {

namespace {

const std::set<std::string> kEveryone = {"admin", "doctor", "nurse", "receptionist", "patient"};
const std::set<std::string> kStaff = {"admin", "doctor", "nurse", "receptionist"};
const std::set<std::string> kReports = {"admin", "receptionist"};
const std::set<std::string> kAdmin = {"admin"};

/// Statuses that hold their time (have occupancy rows).
const std::set<std::string> kActive = {"pending", "confirmed", "checked_in"};
const char* const kActiveSql = "('pending', 'confirmed', 'checked_in')";

constexpr int kMaxOccurrences = 52;

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

} // namespace

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

namespace {

std::string reasonOf(const Request& req)
{
    std::string reason;
    if (auto h = req.header("X-Access-Reason"))
        reason = *h;
    std::string out;
    for (char c : reason)
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    return out.substr(0, 255);
}

HttpError ruleRejected(const std::string& rule, const std::string& reason)
{
    auto details = clinic::makeObject();
    details->set("rule", rule);
    details->set("reason", reason);
    return HttpError(422, "RULE_REJECTED", reason.empty() ? "the clinic's rules do not allow this" : reason,
        details);
}

/// 409 CONFLICT for a change the appointment's status does not allow.
HttpError wrongStatus(const std::string& status, const std::string& what)
{
    auto details = clinic::makeObject();
    details->set("status", status);
    return HttpError::conflict("an appointment that is " + status + " cannot " + what, details);
}

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

HttpError slotTaken(std::int64_t doctorId, const std::string& start)
{
    auto details = clinic::makeObject();
    details->set("doctor_id", static_cast<Poco::Int64>(doctorId));
    details->set("start", start);
    return HttpError(409, "SLOT_TAKEN", "that time is already booked for this doctor", details);
}

// id, series_id, patient_id, doctor_id, service_id, location_id, start_utc,
// end_utc, status, notes, sequence, price_minor, currency, fee_minor,
// cancel_reason, created_at, updated_at
using ApptRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64,
    Poco::Int64, Poco::Int64, std::string, std::string, Poco::Int64, Poco::Int64, std::string, Poco::Int64,
    std::string, Poco::Int64, Poco::Int64>;
const char* const kApptColumns = "id, series_id, patient_id, doctor_id, service_id, location_id, start_utc,"
                                 " end_utc, status, notes, sequence, price_minor, currency, fee_minor,"
                                 " cancel_reason, created_at, updated_at";

} // namespace

struct Appointment {
    Poco::Int64 id = 0, seriesId = 0, patientId = 0, doctorId = 0, serviceId = 0, locationId = 0;
    Poco::Int64 startUtc = 0, endUtc = 0;
    std::string status = "pending", notes;
    Poco::Int64 sequence = 0, priceMinor = 0;
    std::string currency;
    Poco::Int64 feeMinor = 0;
    std::string cancelReason;
    Poco::Int64 createdAt = 0, updatedAt = 0;

    static Appointment from(const ApptRow& r)
    {
        Appointment a;
        a.id = r.get<0>();
        a.seriesId = r.get<1>();
        a.patientId = r.get<2>();
        a.doctorId = r.get<3>();
        a.serviceId = r.get<4>();
        a.locationId = r.get<5>();
        a.startUtc = r.get<6>();
        a.endUtc = r.get<7>();
        a.status = r.get<8>();
        a.notes = r.get<9>();
        a.sequence = r.get<10>();
        a.priceMinor = r.get<11>();
        a.currency = r.get<12>();
        a.feeMinor = r.get<13>();
        a.cancelReason = r.get<14>();
        a.createdAt = r.get<15>();
        a.updatedAt = r.get<16>();
        return a;
    }

    bool active() const { return kActive.count(status) > 0; }
};

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

// ---------------------------------------------------------------------------

class AppointmentBook::Impl : public clinic::CareRelationships {
public:
    explicit Impl(clinic::Host& host)
        : _host(host)
    {
    }

    void start();
    clinic::Host& host() { return _host; }
    Poco::JSON::Object::Ptr patientContext(std::int64_t patientId, std::optional<std::int64_t> atUtc);

    /// What ctx.patient needs, read once: the ctx without the age, the birth
    /// day and the zone whose date the age is taken on.
    struct PatientFacts {
        Poco::JSON::Object::Ptr ctx; ///< null: no such patient
        std::optional<std::int64_t> born;
        std::shared_ptr<const TimeZone> zone;
    };
    PatientFacts patientFacts(std::int64_t patientId);
    /// ctx.patient with the age at that instant.
    Poco::JSON::Object::Ptr patientAt(const PatientFacts& facts, std::optional<std::int64_t> atUtc);
    int slotMinutes(const BookingFacts& facts);
    int slotMinutes(const Poco::JSON::Object::Ptr& ctx, const Service& service);

    bool isPatientOf(std::int64_t doctorId, std::int64_t patientId) const override
    {
        auto s = _host.database().session();
        Poco::Int64 d = doctorId, p = patientId, n = 0;
        s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND doctor_id = ?"
             " AND status <> 'cancelled'",
            use(p), use(d), into(n), now;
        return n > 0;
    }

private:
    clinic::Host& _host;
    std::shared_ptr<clinic::records::PatientRegistry> _patients;
    prometheus::Counter* _created = nullptr;
    prometheus::Counter* _slotTaken = nullptr;
    prometheus::Counter* _ruleRejected = nullptr;
    prometheus::Counter* _invalid = nullptr;
    prometheus::Counter* _cancelled = nullptr;
    prometheus::Counter* _noShows = nullptr;
    prometheus::Gauge* _waiting = nullptr;
    std::vector<clinic::Reminder> _defaultReminders;
    std::int64_t _horizonDays = 366;

    std::int64_t nowSeconds() const
    {
        return std::chrono::duration_cast<std::chrono::seconds>(_host.clock().now().time_since_epoch())
            .count();
    }

    // ---- reading ------------------------------------------------------------

    std::optional<Appointment> findAppointment(Poco::Data::Session& s, Poco::Int64 id, bool forUpdate = false)
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

    std::shared_ptr<const TimeZone> zoneOf(Poco::Data::Session& s, Poco::Int64 locationId)
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

    /// The zone the clinic's dates are read in when no doctor says otherwise:
    /// that of its first location.
    std::shared_ptr<const TimeZone> clinicZone(Poco::Data::Session& s)
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

    Poco::JSON::Object::Ptr toJson(Poco::Data::Session& s, const Appointment& a)
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
        o->set("cancel_reason", a.cancelReason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(a.cancelReason));
        o->set("created_at", formatWithOffset(a.createdAt, 0));
        o->set("updated_at", formatWithOffset(a.updatedAt, 0));
        return o;
    }

    /// The caller may see (and act on) this appointment's patient. Another
    /// patient's appointment is 404, as if it did not exist.
    void requireAccess(Request& req, const Appointment& a, const std::string& action)
    {
        try {
            _host.access().require(req, a.patientId, PatientData::Demographics);
        } catch (const HttpError& e) {
            try {
                _host.audit().record(req,
                    clinic::AuditEvent {action, "appointment", std::to_string(a.id), a.patientId, "denied",
                        reasonOf(req)});
            } catch (const std::exception& ex) {
                _host.logger().error("could not audit a denied " + action + ": " + ex.what());
            }
            if (e.status() == 404)
                throw HttpError::notFound("no such appointment");
            throw;
        }
    }

    /// The appointment for an {id} route, checked for access; 404 otherwise.
    Appointment loadFor(Request& req, const std::string& action)
    {
        auto s = _host.database().session();
        auto a = findAppointment(s, req.idParam("id"));
        if (!a)
            throw HttpError::notFound("no such appointment");
        requireAccess(req, *a, action);
        return *a;
    }

    void audit(clinic::Transaction& tx, Request& req, const std::string& action, const Appointment& a)
    {
        _host.audit().record(tx, req,
            clinic::AuditEvent {action, "appointment", std::to_string(a.id), a.patientId, "ok", reasonOf(req)});
    }

    Poco::JSON::Object::Ptr eventPayload(const Appointment& a)
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

    // ---- placing a booking ----------------------------------------------------

    /// What a requested start resolves to, or why it cannot be booked.
    struct Placement {
        std::string error; ///< the reason, when it cannot be booked
        std::string errorCode = "VALIDATION_FAILED"; ///< or RULE_REJECTED
        Location location;
        std::shared_ptr<const TimeZone> zone;
        std::int64_t start = 0, end = 0;
        Poco::JSON::Object::Ptr ctx; ///< the booking ctx the rules saw (for the reminders plan)
    };

    /// Everything but the occupancy: working hours at some location, the
    /// slot length, the period's end, holidays, time off, the horizon and
    /// the before_book rule.
    Placement place(Poco::Data::Session& s, Request& req, const Doctor& doctor, const Service& service,
        const std::vector<Period>& hours, Poco::JSON::Object::Ptr patient, std::int64_t start,
        std::int64_t nowUtc, std::map<Poco::Int64, Location>& locations)
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
                out.error = "the location is closed on " + dateText(day) + (name.empty() ? "" : " (" + name + ")");
                return out;
            }
        out.ctx = bookingContext({&doctor, &service, &out.location, patient, req.caller.role, nowUtc, start});
        const int minutes = slotMinutes(out.ctx, service);
        out.end = start + minutes * 60;
        const std::int64_t periodEnd = lenientUtc(*out.zone, day * 86400 + match->endMin * 60);
        if (out.end > periodEnd) {
            out.error = "a " + std::to_string(minutes) + "-minute appointment would run past the end of working hours ("
                + hhmm(match->endMin) + ")";
            return out;
        }
        Poco::Int64 d = doctor.id, from = start, to = out.end;
        std::vector<std::string> off;
        s << "SELECT reason FROM scheduling_time_off WHERE doctor_id = ? AND start_utc < ? AND end_utc > ?",
            use(d), use(to), use(from), into(off), limit(1), now;
        if (!off.empty()) {
            out.error = "the doctor is not available then" + (off.front().empty() ? "" : " (" + off.front() + ")");
            return out;
        }
        auto decision = _host.rules().beforeBook(out.ctx, helpers());
        if (decision.failed())
            _host.logger().error("before_book rule failed: " + decision.error);
        if (!decision.allowed) {
            out.error = decision.reason.empty() ? "rule error" : decision.reason;
            out.errorCode = "RULE_REJECTED";
        }
        return out;
    }

    clinic::RuleHelpers helpers()
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

    /// Writes the occupancy of [start, end) for the doctor in one
    /// statement (all rows or none); false if any cell is taken.
    bool occupy(clinic::Transaction& tx, Poco::Int64 doctorId, Poco::Int64 appointmentId, std::int64_t start,
        std::int64_t end)
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

    void release(clinic::Transaction& tx, Poco::Int64 appointmentId)
    {
        tx.session() << "DELETE FROM scheduling_occupancy WHERE appointment_id = ?", use(appointmentId), now;
    }

    /// Inserts the appointment row; a.id is set.
    void insertRow(clinic::Transaction& tx, Appointment& a, Poco::Int64 by)
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

    /// The reminder jobs and the booking notice for a committed-with-tx
    /// appointment. Keyed by appointment and sequence, so a rescheduled
    /// appointment gets its own set; a job finds its appointment moved or
    /// cancelled (sequence or status changed) and does nothing.
    /// The reminders rule's plan for a booking ctx, asked before the write
    /// transaction so the script does not run while the database is locked.
    std::vector<clinic::Reminder> reminderPlan(const Poco::JSON::Object::Ptr& ctx)
    {
        auto plan = _host.rules().reminders(ctx, _defaultReminders, helpers());
        if (plan.failed())
            _host.logger().warning("reminders rule failed, the default plan applies: " + plan.error);
        return plan.reminders;
    }

    void scheduleNotices(clinic::Transaction& tx, const Appointment& a, const std::string& what,
        const std::vector<clinic::Reminder>& reminders = {})
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

    /// Offers a freed [start, end) of a doctor to the first matching
    /// waitlist entry, in tx.
    void offerFreedSlot(clinic::Transaction& tx, const Appointment& a)
    {
        if (a.startUtc <= nowSeconds())
            return;
        std::vector<std::string> specialties;
        Poco::Int64 doctorId = a.doctorId;
        tx.session() << "SELECT specialty FROM scheduling_doctors WHERE id = ?", use(doctorId),
            into(specialties), now;
        std::string specialty = specialties.empty() ? "" : specialties.front();
        Poco::Int64 service = a.serviceId, start = a.startUtc, end = a.endUtc;
        std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> rows;
        tx.session() << "SELECT id, patient_id FROM scheduling_waitlist WHERE status = 'waiting' AND service_id = ?"
                        " AND earliest <= ? AND latest >= ? AND (doctor_id = ? OR (doctor_id = 0 AND specialty = ?))"
                        " ORDER BY id",
            use(service), use(start), use(end), use(doctorId), use(specialty), into(rows), limit(1), now;
        if (rows.empty())
            return;
        Poco::Int64 entry = rows.front().get<0>(), at = nowSeconds();
        tx.session() << "UPDATE scheduling_waitlist SET status = 'offered', offered_doctor_id = ?,"
                        " offered_start = ?, offered_at = ? WHERE id = ? AND status = 'waiting'",
            use(doctorId), use(start), use(at), use(entry), now;
        auto payload = clinic::makeObject();
        payload->set("waitlist_id", entry);
        payload->set("patient_id", rows.front().get<1>());
        payload->set("doctor_id", doctorId);
        payload->set("service_id", service);
        payload->set("start_utc", start);
        payload->set("end_utc", end);
        _host.events().publish(tx, clinic::Event {"waitlist.offered", payload});
        _host.jobs().schedule(tx, "waitlist.offer", payload,
            std::chrono::system_clock::time_point(std::chrono::seconds(at)),
            "offer:waitlist:" + std::to_string(entry));
        tx.afterCommit([this] { refreshWaiting(); });
    }

    void refreshWaiting()
    {
        try {
            auto s = _host.database().session();
            Poco::Int64 n = 0;
            s << "SELECT COUNT(*) FROM scheduling_waitlist WHERE status = 'waiting'", into(n), now;
            _waiting->Set(static_cast<double>(n));
        } catch (const std::exception& e) {
            _host.logger().warning(std::string("could not count the waitlist: ") + e.what());
        }
    }

    // ---- handlers -------------------------------------------------------------

    struct BookingInput {
        Poco::Int64 patientId = 0, doctorId = 0, serviceId = 0;
        std::int64_t start = 0;
        std::string startText, notes;
        Poco::JSON::Object::Ptr recurrence;
    };

    std::int64_t readStart(clinic::FieldReader& in, const std::string& field, std::string& text)
    {
        text = in.requiredString(field, 1, 40);
        if (text.empty())
            return 0;
        auto at = parseInstant(text);
        if (!at) {
            in.fail(field, "is not an RFC 3339 instant with an offset (2027-03-29T09:00:00+03:00)");
            return 0;
        }
        if (*at % kCellSeconds != 0) {
            in.fail(field, "must be on a 5-minute boundary (09:00, 09:05, ...)");
            return 0;
        }
        return *at;
    }

    Response book(Request& req);
    Response bookSeries(Request& req, const BookingInput& in, const Doctor& doctor, const Service& service);
    Response list(Request& req);
    Response get(Request& req);
    Response ics(Request& req);
    Response doctorFeed(Request& req);
    Response transition(Request& req, const std::string& to);
    Response cancel(Request& req);
    Response reschedule(Request& req);
    Response listWaitlist(Request& req);
    Response addWaitlist(Request& req);
    Response removeWaitlist(Request& req);
    Response dashboard(Request& req);
    Response monthly(Request& req);

    std::string calendarText(Poco::Data::Session& s, const std::vector<Appointment>& items, const std::string& name);

    std::mutex _zonesMutex;
    std::map<Poco::Int64, std::shared_ptr<const TimeZone>> _zones;
    std::atomic<Poco::Int64> _firstLocation {0};
};

// ---- start ------------------------------------------------------------------

void AppointmentBook::Impl::start()
{
    _patients = _host.services().find<clinic::records::PatientRegistry>(
        clinic::records::kPatientRegistryService);
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

    auto add = [&](const std::string& method, const std::string& pattern, std::set<std::string> roles,
                   Response (Impl::*fn)(Request&), const std::string& summary) {
        _host.router().add({method, pattern, clinic::Access::only(std::move(roles)),
            [this, fn](Request& req) { return (this->*fn)(req); }, summary});
    };
    add("POST", "/api/v1/appointments", kEveryone, &Impl::book,
        "scheduling: book an appointment, or a recurring series");
    add("GET", "/api/v1/appointments", kEveryone, &Impl::list,
        "scheduling: appointments (?doctor_id=&patient_id=&from=&to=&status=)");
    add("GET", "/api/v1/appointments/{id}", kEveryone, &Impl::get, "scheduling: one appointment");
    add("GET", "/api/v1/appointments/{id}.ics", kEveryone, &Impl::ics,
        "scheduling: one appointment as iCalendar");
    struct Step {
        const char* path;
        const char* status;
        std::set<std::string> roles;
    };
    static const Step steps[] = {
        {"confirm", "confirmed", kEveryone},
        {"check-in", "checked_in", kEveryone},
        {"complete", "completed", {"admin", "doctor", "nurse"}},
        {"no-show", "no_show", kStaff},
    };
    for (const auto& step : steps) {
        const std::string to = step.status;
        _host.router().add({"POST", std::string("/api/v1/appointments/{id}/") + step.path,
            clinic::Access::only(step.roles), [this, to](Request& req) { return transition(req, to); },
            std::string("scheduling: mark an appointment ") + step.status});
    }
    add("POST", "/api/v1/appointments/{id}/cancel", kEveryone, &Impl::cancel,
        "scheduling: cancel an appointment ({\"reason\", \"scope\": \"one\"|\"following\"})");
    add("POST", "/api/v1/appointments/{id}/reschedule", kEveryone, &Impl::reschedule,
        "scheduling: move an appointment to another start ({\"start\"})");
    add("GET", "/api/v1/doctors/{id}/calendar.ics", kStaff, &Impl::doctorFeed,
        "scheduling: a doctor's appointments as an iCalendar feed");
    add("GET", "/api/v1/waitlist", kEveryone, &Impl::listWaitlist, "scheduling: waitlist entries");
    add("POST", "/api/v1/waitlist", kEveryone, &Impl::addWaitlist, "scheduling: join the waitlist");
    add("DELETE", "/api/v1/waitlist/{id}", kEveryone, &Impl::removeWaitlist,
        "scheduling: leave the waitlist");
    add("GET", "/api/v1/stats/dashboard", kReports, &Impl::dashboard,
        "reports: today's load, counts by status, no-show rate, utilisation");
    add("GET", "/api/v1/reports/monthly", kReports, &Impl::monthly,
        "reports: per doctor for a month (?month=YYYY-MM; Accept: text/csv for CSV)");
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
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE patient_id = ? AND status = 'completed'", use(id),
        into(done), now;
    out.ctx->set("is_new", done == 0);
    out.ctx->set("allergies", profile->has("allergies") ? profile->get("allergies") : Poco::Dynamic::Var());
    out.zone = clinicZone(s);
    return out;
}

Poco::JSON::Object::Ptr AppointmentBook::Impl::patientAt(const PatientFacts& facts, std::optional<std::int64_t> atUtc)
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

int AppointmentBook::Impl::slotMinutes(const BookingFacts& facts)
{
    return slotMinutes(bookingContext(facts), *facts.service);
}

int AppointmentBook::Impl::slotMinutes(const Poco::JSON::Object::Ptr& ctx, const Service& service)
{
    const int fallback = static_cast<int>(service.durationMin);
    auto decision = _host.rules().slotLength(ctx, fallback, helpers());
    if (decision.failed())
        _host.logger().warning("slot_length rule failed, the service's duration applies: " + decision.error);
    int minutes = decision.minutes >= 5 && decision.minutes <= 480 ? decision.minutes : fallback;
    // Whole cells, so back-to-back slots never share one.
    return static_cast<int>((minutes + 4) / 5 * 5);
}

// ---- booking ------------------------------------------------------------------

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
                clinic::AuditEvent {"appointment.create", "appointment", "", input.patientId, "denied", reasonOf(req)});
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
    auto doctor = findDoctor(s, input.doctorId);
    auto service = findService(s, input.serviceId);
    if (!doctor)
        errors["doctor_id"] = "no such doctor";
    if (!service)
        errors["service_id"] = "no such service";
    if (doctor && service
        && std::find(doctor->serviceIds.begin(), doctor->serviceIds.end(), service->id) == doctor->serviceIds.end())
        errors["service_id"] = "this doctor does not offer this service";
    if (!errors.empty()) {
        _invalid->Increment();
        throw HttpError::validation(errors);
    }
    if (input.recurrence)
        return bookSeries(req, input, *doctor, *service);

    const std::int64_t nowUtc = nowSeconds();
    std::map<Poco::Int64, Location> locations;
    auto hours = hoursOf(s, doctor->id);
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
    try {
        _host.database().transact([&](clinic::Transaction& tx) {
            a.id = 0;
            insertRow(tx, a, req.caller.userId);
            if (!occupy(tx, a.doctorId, a.id, a.startUtc, a.endUtc))
                throw slotTaken(a.doctorId, input.startText);
            audit(tx, req, "appointment.create", a);
            _host.events().publish(tx, clinic::Event {"appointment.booked", eventPayload(a)});
            scheduleNotices(tx, a, "booked", reminders);
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
            candidates.push_back({label, std::nullopt, "this local time does not exist that day (clocks go forward)"});
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
            "a series has at most " + std::to_string(kMaxOccurrences) + " occurrences; choose an earlier date"}});
    }

    const std::int64_t nowUtc = nowSeconds();
    std::map<Poco::Int64, Location> locations;
    auto hours = hoursOf(s, doctor.id);
    const PatientFacts patientRead = patientFacts(input.patientId);
    struct Planned {
        std::string label;
        Placement placement;
        std::vector<clinic::Reminder> reminders;
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
        Placement p = place(s, req, doctor, service, hours, patient, *c.start, nowUtc, locations);
        if (!p.error.empty()) {
            skippedBefore.emplace_back(c.label, p.error);
            ruleRejections += p.errorCode == "RULE_REJECTED";
            continue;
        }
        planned.push_back({c.label, p, reminderPlan(p.ctx)});
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
        tx.session() << "INSERT INTO scheduling_series (freq, created_at, created_by) VALUES (?, ?, ?)", use(f),
            use(at), use(by), now;
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
            made.push_back(a);
        }
        if (made.empty()) {
            // Nothing could be booked: no series either (the 409/422 below).
            tx.session() << "DELETE FROM scheduling_series WHERE id = ?", use(seriesId), now;
            seriesId = 0;
        }
    });
    if (made.empty()) {
        bool allTaken = !skipped.empty()
            && std::all_of(skipped.begin(), skipped.end(),
                [](const auto& x) { return x.second == "that time is already booked for this doctor"; });
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

// ---- reading --------------------------------------------------------------------

Response AppointmentBook::Impl::get(Request& req)
{
    Appointment a = loadFor(req, "appointment.read");
    _host.audit().record(req,
        clinic::AuditEvent {"appointment.read", "appointment", std::to_string(a.id), a.patientId, "ok", reasonOf(req)});
    auto s = _host.database().session();
    return Response::json(toJson(s, a));
}

Response AppointmentBook::Impl::list(Request& req)
{
    std::map<std::string, std::string> errors;
    auto doctorId = queryId(req, "doctor_id", errors);
    auto patientId = queryId(req, "patient_id", errors);
    std::optional<std::string> status = req.query("status");
    if (status && !kActive.count(*status) && *status != "completed" && *status != "cancelled" && *status != "no_show")
        errors["status"] = "must be pending, confirmed, checked_in, completed, cancelled or no_show";
    std::size_t pageSize = 50;
    if (auto l = req.query("limit")) {
        unsigned n = 0;
        if (!Poco::NumberParser::tryParseUnsigned(*l, n) || n < 1 || n > 500)
            errors["limit"] = "must be from 1 to 500";
        else
            pageSize = n;
    }
    // The cursor is "<start_utc>.<id>" of the last row of the previous page.
    Poco::Int64 afterStart = INT64_MIN, afterId = 0;
    if (auto c = req.query("cursor")) {
        auto dot = c->find('.');
        if (dot == std::string::npos || !Poco::NumberParser::tryParse64(c->substr(0, dot), afterStart)
            || !Poco::NumberParser::tryParse64(c->substr(dot + 1), afterId))
            errors["cursor"] = "is not a cursor this list gave out";
    }
    auto s = _host.database().session();
    std::shared_ptr<const TimeZone> zone;
    if (doctorId) {
        std::vector<Poco::Int64> loc;
        Poco::Int64 d = *doctorId;
        s << "SELECT location_id FROM scheduling_doctors WHERE id = ?", use(d), into(loc), now;
        if (!loc.empty())
            zone = zoneOf(s, loc.front());
    }
    if (!zone)
        zone = clinicZone(s);
    // from/to: RFC 3339 instants, or local dates of the clinic (to inclusive).
    auto bound = [&](const std::string& field, bool end) -> std::optional<std::int64_t> {
        auto v = req.query(field);
        if (!v)
            return std::nullopt;
        if (v->size() == 10) {
            auto day = parseDate(*v);
            if (!day) {
                errors[field] = "is not a date YYYY-MM-DD that exists";
                return std::nullopt;
            }
            return lenientUtc(*zone, (*day + (end ? 1 : 0)) * 86400);
        }
        auto at = parseInstant(*v);
        if (!at)
            errors[field] = "is not a date YYYY-MM-DD or an RFC 3339 instant";
        return at;
    };
    auto from = bound("from", false), to = bound("to", true);
    if (from && to && *to < *from)
        errors["to"] = "must not be before from";
    if (req.caller.role == "patient") {
        if (patientId && *patientId != req.caller.patientId)
            throw HttpError::notFound("no such patient");
        patientId = req.caller.patientId;
    }
    if (!errors.empty())
        throw HttpError::validation(errors);
    if (patientId)
        _host.access().require(req, *patientId, PatientData::Demographics);

    std::string sql = std::string("SELECT ") + kApptColumns + " FROM scheduling_appointments WHERE 1 = 1";
    Poco::Data::Statement st(s);
    Poco::Int64 d = doctorId.value_or(0), p = patientId.value_or(0), f = from.value_or(0), t = to.value_or(0);
    std::string stat = status.value_or("");
    std::vector<ApptRow> rows;
    if (doctorId)
        sql += " AND doctor_id = ?";
    if (patientId)
        sql += " AND patient_id = ?";
    if (from)
        sql += " AND start_utc >= ?";
    if (to)
        sql += " AND start_utc < ?";
    if (status)
        sql += " AND status = ?";
    sql += " AND (start_utc > ? OR (start_utc = ? AND id > ?)) ORDER BY start_utc, id";
    st << sql;
    if (doctorId)
        st, use(d);
    if (patientId)
        st, use(p);
    if (from)
        st, use(f);
    if (to)
        st, use(t);
    if (status)
        st, use(stat);
    st, use(afterStart), use(afterStart), use(afterId), into(rows), limit(pageSize + 1);
    st.execute();

    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    std::set<Poco::Int64> shown;
    std::optional<std::string> next;
    for (std::size_t i = 0; i < rows.size() && i < pageSize; ++i) {
        Appointment a = Appointment::from(rows[i]);
        if (i + 1 == pageSize && rows.size() > pageSize)
            next = std::to_string(a.startUtc) + "." + std::to_string(a.id);
        if (!_host.access().maySee(req.caller, a.patientId, PatientData::Demographics))
            continue;
        items->add(toJson(s, a));
        shown.insert(a.patientId);
    }
    _host.database().transact([&](clinic::Transaction& tx) {
        if (shown.empty())
            _host.audit().record(tx, req, clinic::AuditEvent {"appointment.list", "appointment", "", 0, "ok", reasonOf(req)});
        for (auto id : shown)
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.list", "appointment", "", id, "ok", reasonOf(req)});
    });
    return Response::json(clinic::listPage(items, next));
}

// ---- lifecycle --------------------------------------------------------------------

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
        if (floorDiv(a.startUtc + zone->offsetAt(a.startUtc), 86400) != floorDiv(nowUtc + zone->offsetAt(nowUtc), 86400))
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
        std::string newStatus = to, old = a.status;
        Poco::Int64 at = nowUtc, id = a.id;
        Poco::Data::Statement st(tx.session());
        st << "UPDATE scheduling_appointments SET status = ?, sequence = sequence + 1, updated_at = ?"
              " WHERE id = ? AND status = ?",
            use(newStatus), use(at), use(id), use(old);
        if (st.execute() != 1)
            throw HttpError::conflict("the appointment changed meanwhile; try again");
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
    });
    auto s = _host.database().session();
    return Response::json(toJson(s, a));
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
    auto decision = _host.rules().cancelPolicy(bookingContext(facts), helpers());
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
                            " AND status IN " + std::string(kActiveSql) + " ORDER BY start_utc",
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
    // Moving is cancelling the old time as far as the clinic's policy goes.
    if (req.caller.role == "patient") {
        auto location = findLocation(s, a.locationId);
        BookingFacts old {&*doctor, &*service, location ? &*location : nullptr, patient, req.caller.role, nowUtc,
            a.startUtc};
        auto decision = _host.rules().cancelPolicy(bookingContext(old), helpers());
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
        offerFreedSlot(tx, before);
    });
    return Response::json(toJson(s, a));
}

// ---- iCalendar ----------------------------------------------------------------------

Response AppointmentBook::Impl::ics(Request& req)
{
    Appointment a = loadFor(req, "appointment.read");
    _host.audit().record(req,
        clinic::AuditEvent {"appointment.read", "appointment", std::to_string(a.id), a.patientId, "ok", reasonOf(req)});
    auto s = _host.database().session();
    Response r = Response::text(calendarText(s, {a}, "Appointment"), "text/calendar; charset=utf-8");
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"appointment-" + std::to_string(a.id) + ".ics\"");
    return r;
}

Response AppointmentBook::Impl::doctorFeed(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto s = _host.database().session();
    auto doctor = findDoctor(s, id);
    if (!doctor)
        throw HttpError::notFound("no such doctor");
    if (req.caller.role == "doctor" && req.caller.doctorId != id)
        throw HttpError::forbidden("a doctor's feed is for that doctor and the clinic's staff");
    // From yesterday on, cancelled ones included (so calendars drop them).
    Poco::Int64 from = nowSeconds() - 86400;
    std::vector<ApptRow> rows;
    s << std::string("SELECT ") + kApptColumns
            + " FROM scheduling_appointments WHERE doctor_id = ? AND start_utc >= ? ORDER BY start_utc, id",
        use(id), use(from), into(rows), limit(2000), now;
    std::vector<Appointment> items;
    std::set<Poco::Int64> patients;
    for (const auto& r : rows) {
        Appointment a = Appointment::from(r);
        if (!_host.access().maySee(req.caller, a.patientId, PatientData::Demographics))
            continue;
        items.push_back(a);
        patients.insert(a.patientId);
    }
    _host.database().transact([&](clinic::Transaction& tx) {
        if (patients.empty())
            _host.audit().record(tx, req, clinic::AuditEvent {"appointment.feed", "doctor", std::to_string(id), 0, "ok", reasonOf(req)});
        for (auto p : patients)
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.feed", "doctor", std::to_string(id), p, "ok", reasonOf(req)});
    });
    return Response::text(calendarText(s, items, doctor->name), "text/calendar; charset=utf-8");
}

std::string AppointmentBook::Impl::calendarText(
    Poco::Data::Session& s, const std::vector<Appointment>& items, const std::string& name)
{
    std::map<Poco::Int64, std::optional<Service>> services;
    std::map<Poco::Int64, std::optional<Doctor>> doctors;
    std::map<Poco::Int64, std::optional<Location>> locations;
    std::vector<CalendarEvent> events;
    for (const auto& a : items) {
        if (!services.count(a.serviceId))
            services[a.serviceId] = findService(s, a.serviceId);
        if (!doctors.count(a.doctorId))
            doctors[a.doctorId] = findDoctor(s, a.doctorId);
        if (!locations.count(a.locationId))
            locations[a.locationId] = findLocation(s, a.locationId);
        CalendarEvent e;
        e.uid = "appointment-" + std::to_string(a.id) + "-" + std::to_string(a.createdAt) + "@clinicd";
        e.sequence = a.sequence;
        e.lastModifiedUtc = a.updatedAt;
        e.startUtc = a.startUtc;
        e.endUtc = a.endUtc;
        const auto& svc = services[a.serviceId];
        const auto& doc = doctors[a.doctorId];
        const auto& loc = locations[a.locationId];
        e.summary = (svc ? svc->name : std::string("Appointment")) + (doc ? " - " + doc->name : std::string());
        if (loc) {
            e.location = loc->name + (loc->address.empty() ? "" : ", " + loc->address)
                + (loc->city.empty() ? "" : ", " + loc->city);
            e.timezone = loc->timezone;
        }
        e.description = "Appointment " + std::to_string(a.id) + " (" + a.status + ")";
        e.status = a.status == "cancelled" || a.status == "no_show" ? "CANCELLED"
            : a.status == "pending"                               ? "TENTATIVE"
                                                                  : "CONFIRMED";
        events.push_back(e);
    }
    return renderCalendar(name, events, nowSeconds());
}

// ---- waitlist ------------------------------------------------------------------------

namespace {
using WaitRow = Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, std::string, Poco::Int64, Poco::Int64,
    Poco::Int64, std::string, Poco::Int64, Poco::Int64, Poco::Int64>;
const char* const kWaitColumns = "id, patient_id, doctor_id, specialty, service_id, earliest, latest, status,"
                                 " offered_doctor_id, offered_start, created_at";

Poco::JSON::Object::Ptr waitJson(const WaitRow& r)
{
    auto o = clinic::makeObject();
    o->set("id", r.get<0>());
    o->set("patient_id", r.get<1>());
    o->set("doctor_id", r.get<2>() ? Poco::Dynamic::Var(r.get<2>()) : Poco::Dynamic::Var());
    o->set("specialty", r.get<3>().empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.get<3>()));
    o->set("service_id", r.get<4>());
    o->set("earliest", formatWithOffset(r.get<5>(), 0));
    o->set("latest", formatWithOffset(r.get<6>(), 0));
    o->set("status", r.get<7>());
    if (r.get<7>() == "offered") {
        auto offer = clinic::makeObject();
        offer->set("doctor_id", r.get<8>());
        offer->set("start", formatWithOffset(r.get<9>(), 0));
        o->set("offer", offer);
    } else {
        o->set("offer", Poco::Dynamic::Var());
    }
    o->set("created_at", formatWithOffset(r.get<10>(), 0));
    return o;
}
} // namespace

Response AppointmentBook::Impl::listWaitlist(Request& req)
{
    std::map<std::string, std::string> errors;
    auto patientId = queryId(req, "patient_id", errors);
    clinic::PageRequest page = clinic::readPage(req, errors);
    if (req.caller.role == "patient") {
        if (patientId && *patientId != req.caller.patientId)
            throw HttpError::notFound("no such patient");
        patientId = req.caller.patientId;
    }
    if (!errors.empty())
        throw HttpError::validation(errors);
    auto s = _host.database().session();
    std::vector<WaitRow> rows;
    Poco::Int64 p = patientId.value_or(0), after = page.cursor;
    if (patientId)
        s << std::string("SELECT ") + kWaitColumns
                + " FROM scheduling_waitlist WHERE patient_id = ? AND status <> 'removed' AND id > ? ORDER BY id",
            use(p), use(after), into(rows), limit(page.limit + 1), now;
    else
        s << std::string("SELECT ") + kWaitColumns
                + " FROM scheduling_waitlist WHERE status <> 'removed' AND id > ? ORDER BY id",
            use(after), into(rows), limit(page.limit + 1), now;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    std::set<Poco::Int64> shown;
    for (std::size_t i = 0; i < rows.size() && i < page.limit; ++i) {
        if (!_host.access().maySee(req.caller, rows[i].get<1>(), PatientData::Demographics))
            continue;
        items->add(waitJson(rows[i]));
        shown.insert(rows[i].get<1>());
    }
    std::optional<Poco::Int64> next;
    if (rows.size() > page.limit)
        next = rows[page.limit - 1].get<0>();
    _host.database().transact([&](clinic::Transaction& tx) {
        if (shown.empty())
            _host.audit().record(tx, req, clinic::AuditEvent {"waitlist.list", "waitlist", "", 0, "ok", reasonOf(req)});
        for (auto id : shown)
            _host.audit().record(tx, req, clinic::AuditEvent {"waitlist.list", "waitlist", "", id, "ok", reasonOf(req)});
    });
    return Response::json(clinic::listPage(items, next));
}

Response AppointmentBook::Impl::addWaitlist(Request& req)
{
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    Poco::Int64 patientId = (req.caller.role == "patient" && !in.has("patient_id"))
        ? req.caller.patientId
        : in.requiredInt("patient_id", 1, INT64_MAX);
    Poco::Int64 doctorId = in.optionalInt("doctor_id", 1, INT64_MAX).value_or(0);
    std::string specialty = in.optionalString("specialty", 1, 100).value_or("");
    Poco::Int64 serviceId = in.requiredInt("service_id", 1, INT64_MAX);
    std::string t1, t2;
    auto instant = [&](const std::string& field, std::string& text) -> Poco::Int64 {
        text = in.requiredString(field, 1, 40);
        if (text.empty())
            return 0;
        auto at = parseInstant(text);
        if (!at)
            in.fail(field, "is not an RFC 3339 instant with an offset");
        return at.value_or(0);
    };
    Poco::Int64 earliest = instant("earliest", t1), latest = instant("latest", t2);
    if (!doctorId && specialty.empty() && in.ok())
        in.fail("doctor_id", "give doctor_id or specialty");
    if (earliest && latest && latest <= earliest)
        in.fail("latest", "must be after earliest");
    if (latest && latest <= nowSeconds())
        in.fail("latest", "is in the past");
    if (earliest && latest && latest - earliest > 366LL * 86400)
        in.fail("latest", "the window is at most 366 days");
    in.finish();
    if (req.caller.role == "patient" && patientId != req.caller.patientId)
        throw HttpError::notFound("no such patient");
    _host.access().require(req, patientId, PatientData::Demographics);
    auto s = _host.database().session();
    std::map<std::string, std::string> errors;
    if (!_patients->profile(patientId))
        errors["patient_id"] = "no such patient";
    if (!findService(s, serviceId))
        errors["service_id"] = "no such service";
    if (doctorId) {
        auto d = findDoctor(s, doctorId);
        if (!d)
            errors["doctor_id"] = "no such doctor";
        else if (std::find(d->serviceIds.begin(), d->serviceIds.end(), serviceId) == d->serviceIds.end())
            errors["service_id"] = "this doctor does not offer this service";
    }
    if (!errors.empty())
        throw HttpError::validation(errors);
    Poco::Int64 id = 0, at = nowSeconds(), by = req.caller.userId;
    _host.database().transact([&](clinic::Transaction& tx) {
        tx.session() << "INSERT INTO scheduling_waitlist (patient_id, doctor_id, specialty, service_id, earliest,"
                        " latest, status, offered_doctor_id, offered_start, offered_at, created_at, created_by)"
                        " VALUES (?, ?, ?, ?, ?, ?, 'waiting', 0, 0, 0, ?, ?)",
            use(patientId), use(doctorId), use(specialty), use(serviceId), use(earliest), use(latest), use(at),
            use(by), now;
        id = tx.lastInsertId();
        _host.audit().record(tx, req,
            clinic::AuditEvent {"waitlist.create", "waitlist", std::to_string(id), patientId, "ok", reasonOf(req)});
        tx.afterCommit([this] { refreshWaiting(); });
    });
    std::vector<WaitRow> rows;
    s << std::string("SELECT ") + kWaitColumns + " FROM scheduling_waitlist WHERE id = ?", use(id), into(rows), now;
    Response r = Response::json(waitJson(rows.front()), 201);
    r.headers.emplace_back("Location", "/api/v1/waitlist/" + std::to_string(id));
    return r;
}

Response AppointmentBook::Impl::removeWaitlist(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto s = _host.database().session();
    std::vector<WaitRow> rows;
    s << std::string("SELECT ") + kWaitColumns + " FROM scheduling_waitlist WHERE id = ? AND status <> 'removed'",
        use(id), into(rows), now;
    if (rows.empty())
        throw HttpError::notFound("no such waitlist entry");
    const Poco::Int64 patientId = rows.front().get<1>();
    if (req.caller.role == "patient" && patientId != req.caller.patientId)
        throw HttpError::notFound("no such waitlist entry");
    _host.access().require(req, patientId, PatientData::Demographics);
    _host.database().transact([&](clinic::Transaction& tx) {
        tx.session() << "UPDATE scheduling_waitlist SET status = 'removed' WHERE id = ?", use(id), now;
        _host.audit().record(tx, req,
            clinic::AuditEvent {"waitlist.delete", "waitlist", std::to_string(id), patientId, "ok", reasonOf(req)});
        tx.afterCommit([this] { refreshWaiting(); });
    });
    return Response::noContent();
}

// ---- reports ----------------------------------------------------------------------------

Response AppointmentBook::Impl::dashboard(Request&)
{
    auto s = _host.database().session();
    auto zone = clinicZone(s);
    const std::int64_t nowUtc = nowSeconds();
    const std::int64_t today = floorDiv(nowUtc + zone->offsetAt(nowUtc), 86400);
    Poco::Int64 dayStart = lenientUtc(*zone, today * 86400), dayEnd = lenientUtc(*zone, (today + 1) * 86400);

    auto out = clinic::makeObject();
    out->set("date", dateText(today));
    out->set("timezone", zone->name());

    std::vector<Poco::Tuple<std::string, Poco::Int64>> byStatus;
    s << "SELECT status, COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ?"
         " GROUP BY status",
        use(dayStart), use(dayEnd), into(byStatus), now;
    auto counts = clinic::makeObject();
    for (const char* st : {"pending", "confirmed", "checked_in", "completed", "cancelled", "no_show"})
        counts->set(st, 0);
    for (const auto& r : byStatus)
        counts->set(r.get<0>(), r.get<1>());
    out->set("today_by_status", counts);

    // Today's load per doctor: booked minutes against worked minutes.
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64>> load;
    s << "SELECT doctor_id, COUNT(*), SUM(end_utc - start_utc) FROM scheduling_appointments"
         " WHERE start_utc >= ? AND start_utc < ? AND status IN ('pending', 'confirmed', 'checked_in', 'completed')"
         " GROUP BY doctor_id ORDER BY doctor_id",
        use(dayStart), use(dayEnd), into(load), now;
    Poco::JSON::Array::Ptr doctors = new Poco::JSON::Array;
    double bookedTotal = 0, workedTotal = 0;
    const int weekday = isoWeekday(today);
    for (const auto& r : load) {
        auto d = findDoctor(s, r.get<0>());
        std::int64_t worked = 0;
        for (const auto& p : hoursOf(s, r.get<0>()))
            if (p.weekday == weekday)
                worked += (p.endMin - p.startMin) * 60;
        auto o = clinic::makeObject();
        o->set("doctor_id", r.get<0>());
        o->set("name", d ? d->name : std::string());
        o->set("appointments", r.get<1>());
        o->set("booked_minutes", r.get<2>() / 60);
        o->set("working_minutes", worked / 60);
        o->set("utilisation", worked > 0 ? static_cast<double>(r.get<2>()) / static_cast<double>(worked) : 0.0);
        doctors->add(o);
        bookedTotal += static_cast<double>(r.get<2>());
        workedTotal += static_cast<double>(worked);
    }
    out->set("today_by_doctor", doctors);
    out->set("utilisation", workedTotal > 0 ? bookedTotal / workedTotal : 0.0);

    // No-show rate over the last 30 days: no-shows among appointments that
    // were due (completed or no-show).
    Poco::Int64 since = nowUtc - 30 * 86400, until = nowUtc, shows = 0, noShows = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ? AND status = 'completed'",
        use(since), use(until), into(shows), now;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ? AND status = 'no_show'",
        use(since), use(until), into(noShows), now;
    out->set("no_show_rate_30d",
        shows + noShows > 0 ? static_cast<double>(noShows) / static_cast<double>(shows + noShows) : 0.0);
    Poco::Int64 upcoming = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND status IN ('pending', 'confirmed')",
        use(until), into(upcoming), now;
    out->set("upcoming", upcoming);
    Poco::Int64 waiting = 0;
    s << "SELECT COUNT(*) FROM scheduling_waitlist WHERE status = 'waiting'", into(waiting), now;
    out->set("waitlist", waiting);
    return Response::json(out);
}

Response AppointmentBook::Impl::monthly(Request& req)
{
    auto month = req.query("month");
    int y = 0, m = 0;
    if (!month || month->size() != 7 || (*month)[4] != '-' || std::sscanf(month->c_str(), "%4d-%2d", &y, &m) != 2
        || m < 1 || m > 12 || y < 1970 || y > 9999)
        throw HttpError::validation({{"month", "is required, as YYYY-MM"}});
    auto s = _host.database().session();
    auto zone = clinicZone(s);
    Poco::Int64 from = lenientUtc(*zone, daysFromCivil(y, m, 1) * 86400);
    Poco::Int64 to = lenientUtc(*zone, daysFromCivil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400);
    std::vector<Poco::Tuple<Poco::Int64, std::string, Poco::Int64, Poco::Int64, std::string>> rows;
    s << "SELECT doctor_id, status, COUNT(*), SUM(CASE WHEN status = 'completed' THEN price_minor ELSE fee_minor END),"
         " currency FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ?"
         " GROUP BY doctor_id, status, currency ORDER BY doctor_id",
        use(from), use(to), into(rows), now;
    struct Line {
        Poco::Int64 booked = 0, completed = 0, cancelled = 0, noShow = 0;
        std::map<std::string, Poco::Int64> revenue;
    };
    std::map<Poco::Int64, Line> lines;
    for (const auto& r : rows) {
        Line& l = lines[r.get<0>()];
        l.booked += r.get<2>();
        if (r.get<1>() == "completed")
            l.completed += r.get<2>();
        else if (r.get<1>() == "cancelled")
            l.cancelled += r.get<2>();
        else if (r.get<1>() == "no_show")
            l.noShow += r.get<2>();
        if (r.get<3>())
            l.revenue[r.get<4>()] += r.get<3>();
    }
    const bool csv = req.header("Accept").value_or("").find("text/csv") != std::string::npos;
    std::ostringstream text;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    if (csv)
        text << "doctor_id,doctor,booked,completed,cancelled,no_show,revenue_minor,currency\r\n";
    auto quote = [](const std::string& v) {
        std::string out = "\"";
        for (char c : v)
            out += c == '"' ? std::string("\"\"") : std::string(1, c);
        // A cell starting with = + - @ is a formula to spreadsheet programs.
        if (!v.empty() && std::string("=+-@").find(v[0]) != std::string::npos)
            out.insert(1, "'");
        return out + "\"";
    };
    for (const auto& [doctorId, l] : lines) {
        auto d = findDoctor(s, doctorId);
        const std::string name = d ? d->name : "";
        if (csv) {
            if (l.revenue.empty())
                text << doctorId << ',' << quote(name) << ',' << l.booked << ',' << l.completed << ','
                     << l.cancelled << ',' << l.noShow << ",0,\r\n";
            for (const auto& [currency, amount] : l.revenue)
                text << doctorId << ',' << quote(name) << ',' << l.booked << ',' << l.completed << ','
                     << l.cancelled << ',' << l.noShow << ',' << amount << ',' << currency << "\r\n";
            continue;
        }
        auto o = clinic::makeObject();
        o->set("doctor_id", doctorId);
        o->set("name", name);
        o->set("booked", l.booked);
        o->set("completed", l.completed);
        o->set("cancelled", l.cancelled);
        o->set("no_show", l.noShow);
        Poco::JSON::Array::Ptr revenue = new Poco::JSON::Array;
        for (const auto& [currency, amount] : l.revenue) {
            auto r = clinic::makeObject();
            r->set("amount_minor", amount);
            r->set("currency", currency);
            revenue->add(r);
        }
        o->set("revenue", revenue);
        items->add(o);
    }
    if (csv) {
        Response r = Response::text(text.str(), "text/csv; charset=utf-8");
        r.headers.emplace_back("Content-Disposition", "attachment; filename=\"clinic-" + *month + ".csv\"");
        return r;
    }
    auto out = clinic::makeObject();
    out->set("month", *month);
    out->set("timezone", zone->name());
    out->set("items", items);
    return Response::json(out);
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
}

Poco::JSON::Object::Ptr AppointmentBook::patientContext(std::int64_t patientId, std::optional<std::int64_t> atUtc)
{
    return _impl->patientContext(patientId, atUtc);
}

int AppointmentBook::slotMinutes(const BookingFacts& facts)
{
    return _impl->slotMinutes(facts);
}

std::vector<clinic::Migration> AppointmentBook::migrations()
{
    return {
        {8, "appointments",
            {"CREATE TABLE scheduling_series (id ${PK}, freq VARCHAR(16) NOT NULL, created_at BIGINT NOT NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE TABLE scheduling_appointments (id ${PK}, series_id BIGINT NOT NULL, patient_id BIGINT NOT NULL,"
                " doctor_id BIGINT NOT NULL, service_id BIGINT NOT NULL, location_id BIGINT NOT NULL,"
                " start_utc BIGINT NOT NULL, end_utc BIGINT NOT NULL, status VARCHAR(16) NOT NULL,"
                " notes VARCHAR(2000) NOT NULL, sequence BIGINT NOT NULL, price_minor BIGINT NOT NULL,"
                " currency VARCHAR(3) NOT NULL, fee_minor BIGINT NOT NULL, cancel_reason VARCHAR(500) NOT NULL,"
                " created_at BIGINT NOT NULL, created_by BIGINT NOT NULL, updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX scheduling_appointments_doctor ON scheduling_appointments (doctor_id, start_utc)",
                "CREATE INDEX scheduling_appointments_patient ON scheduling_appointments (patient_id, start_utc)",
                "CREATE INDEX scheduling_appointments_start ON scheduling_appointments (start_utc)",
                "CREATE INDEX scheduling_appointments_series ON scheduling_appointments (series_id, start_utc)"}},
        {9, "occupancy",
            {"CREATE TABLE scheduling_occupancy (doctor_id BIGINT NOT NULL, cell BIGINT NOT NULL,"
             " appointment_id BIGINT NOT NULL, PRIMARY KEY (doctor_id, cell))${TABLE}",
                "CREATE INDEX scheduling_occupancy_appointment ON scheduling_occupancy (appointment_id)"}},
        {10, "waitlist",
            {"CREATE TABLE scheduling_waitlist (id ${PK}, patient_id BIGINT NOT NULL, doctor_id BIGINT NOT NULL,"
             " specialty VARCHAR(100) NOT NULL, service_id BIGINT NOT NULL, earliest BIGINT NOT NULL,"
             " latest BIGINT NOT NULL, status VARCHAR(16) NOT NULL, offered_doctor_id BIGINT NOT NULL,"
             " offered_start BIGINT NOT NULL, offered_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
             " created_by BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX scheduling_waitlist_match ON scheduling_waitlist (status, service_id, id)",
                "CREATE INDEX scheduling_waitlist_patient ON scheduling_waitlist (patient_id, id)"}},
    };
}

} // namespace scheduling
