// The automatic no-show: one durable job per appointment, due a rule-given
// number of minutes after its start, that marks it no_show through the same
// status change as POST .../no-show.
//
// Why a job per appointment and not a periodic sweep: the job is a row
// written in the booking's own transaction, so it exists exactly when the
// appointment does; it is claimed with a lease and marked done in the
// transaction that changes the status, so across restarts and several daemons
// it changes the appointment at most once and, once due, at least once. A
// sweep would need its own schedule, a lock or lease of its own so two
// daemons do not sweep together, and a scan of every open appointment on each
// pass; the per-appointment minutes from no_show_after are fixed when the
// appointment is placed, which a job carries naturally.

#include "AppointmentBookImpl.h"

#include <chrono>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>

#include "clinic/Events.h"
#include "clinic/Rules.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

constexpr int kDefaultNoShowMinutes = 15;
constexpr const char* kNoShowJob = "appointment.no_show";
constexpr const char* kNoShowPlanJob = "appointment.no_show_plan";

/// Who the audit trail names for the automatic change: the system, not a user.
Request systemRequest(const clinic::Job& job, Poco::Int64 appointmentId)
{
    Request req;
    req.method = "JOB";
    req.path = "/api/v1/appointments/" + std::to_string(appointmentId) + "/no-show";
    req.routePattern = "/api/v1/appointments/{id}/no-show";
    req.requestId = "job-" + std::to_string(job.id);
    req.clientAddress = "system";
    req.caller.authenticated = false;
    req.caller.role = "system";
    req.caller.username = "system";
    return req;
}

} // namespace

std::optional<int> AppointmentBook::Impl::noShowPlan(Poco::JSON::Object::Ptr ctx, const Appointment& a)
{
    if (!ctx)
        return kDefaultNoShowMinutes;
    auto appointment = clinic::makeObject();
    if (a.id)
        appointment->set("id", a.id);
    appointment->set("start_utc", formatWithOffset(a.startUtc, 0));
    appointment->set("end_utc", formatWithOffset(a.endUtc, 0));
    appointment->set("duration_min", (a.endUtc - a.startUtc) / 60);
    appointment->set("status", a.status);
    ctx->set("appointment", appointment);
    auto decision = SchedulingRules(_host).noShowAfter(ctx, kDefaultNoShowMinutes, helpers());
    if (decision.failed())
        _host.logger().warning("no_show_after rule failed, the default applies: " + decision.error);
    return decision.minutes;
}

void AppointmentBook::Impl::scheduleNoShow(
    clinic::Transaction& tx, const Appointment& a, std::optional<int> minutes)
{
    Poco::Int64 due = minutes ? a.startUtc + static_cast<std::int64_t>(*minutes) * 60 : 0, id = a.id;
    tx.session() << "UPDATE scheduling_appointments SET no_show_at = ? WHERE id = ?", use(due), use(id), now;
    if (!minutes)
        return; // the clinic's rules say never automatically
    auto payload = clinic::makeObject();
    payload->set("appointment_id", a.id);
    payload->set("start_utc", a.startUtc);
    payload->set("due_utc", due);
    _host.jobs().schedule(tx, kNoShowJob, payload,
        std::chrono::system_clock::time_point(std::chrono::seconds(due)),
        "no_show:appointment:" + std::to_string(a.id) + ":" + std::to_string(a.startUtc));
}

void AppointmentBook::Impl::runNoShow(const clinic::Job& job, clinic::Transaction& tx)
{
    const Poco::Int64 id = job.payload->optValue<Poco::Int64>("appointment_id", 0);
    const Poco::Int64 start = job.payload->optValue<Poco::Int64>("start_utc", 0);
    auto current = findAppointment(tx.session(), id, true);
    // Checked in, completed, cancelled, marked by hand, or moved to another
    // start (whose own job follows it): nothing to do, and the job is done.
    if (!current || current->startUtc != start
        || (current->status != "pending" && current->status != "confirmed"))
        return;
    const std::int64_t nowUtc = nowSeconds();
    if (current->startUtc > nowUtc)
        return;
    Appointment a = *current;
    Request req = systemRequest(job, id);
    // False: a check-in won the race between the read and the update; it stands.
    changeStatus(tx, req, a, "no_show", nowUtc);
}

void AppointmentBook::Impl::planMissingNoShows()
{
    // Open appointments booked before automatic no-show existed (no_show_at
    // NULL) are planned by a chain of jobs, a batch each, not here: a clinic
    // with tens of thousands of future bookings must not wait for them (nor
    // outlast systemd's start timeout) before it serves. Two daemons starting
    // together find the same first id, so the job key lets one chain run.
    Poco::Int64 first = 0;
    auto s = _host.database().session();
    s << "SELECT COALESCE(MIN(id), 0) FROM scheduling_appointments WHERE no_show_at IS NULL"
         " AND status IN ('pending', 'confirmed')",
        into(first), now;
    if (first > 0)
        _host.database().transact(
            [&](clinic::Transaction& tx) { queueNoShowPlanning(tx, first, std::chrono::seconds(0)); });
}

void AppointmentBook::Impl::queueNoShowPlanning(
    clinic::Transaction& tx, std::int64_t fromId, std::chrono::seconds after)
{
    auto payload = clinic::makeObject();
    payload->set("from_id", static_cast<Poco::Int64>(fromId));
    _host.jobs().schedule(tx, kNoShowPlanJob, payload, _host.clock().now() + after,
        "no_show_plan:from:" + std::to_string(fromId));
}

void AppointmentBook::Impl::runNoShowPlanning(const clinic::Job& job, clinic::Transaction& tx)
{
    // Small batches a second apart: each holds the write lock briefly, so
    // bookings and clinicctl (another process, on SQLite) get in between.
    constexpr std::size_t kBatch = 50;
    Poco::Int64 from = job.payload->optValue<Poco::Int64>("from_id", 0);
    std::vector<ApptRow> rows;
    tx.session() << std::string("SELECT ") + kApptColumns
            + " FROM scheduling_appointments WHERE id >= ? AND no_show_at IS NULL"
              " AND status IN ('pending', 'confirmed') ORDER BY id",
        use(from), into(rows), limit(kBatch), now;
    const std::int64_t nowUtc = nowSeconds();
    std::int64_t last = 0;
    for (const auto& row : rows) {
        Appointment a = Appointment::from(row);
        last = a.id;
        if (a.startUtc <= nowUtc) {
            // It began before it had a plan: whether it was attended is for
            // the staff to say, not for a rule applied after the fact.
            scheduleNoShow(tx, a, std::nullopt);
            continue;
        }
        auto doctor = findDoctor(tx.session(), a.doctorId);
        auto service = findService(tx.session(), a.serviceId);
        auto location = findLocation(tx.session(), a.locationId);
        BookingFacts facts {doctor ? &*doctor : nullptr, service ? &*service : nullptr,
            location ? &*location : nullptr, patientContext(a.patientId, a.startUtc), "system", nowUtc,
            a.startUtc};
        scheduleNoShow(tx, a, noShowPlan(bookingContext(facts), a));
    }
    if (rows.size() == kBatch)
        queueNoShowPlanning(tx, last + 1, std::chrono::seconds(1));
}

} // namespace scheduling
