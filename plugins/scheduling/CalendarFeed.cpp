// iCalendar: one appointment, and a doctor's feed.

#include "AppointmentBookImpl.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "Calendar.h"
#include "clinic/Audit.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

Response AppointmentBook::Impl::ics(Request& req)
{
    Appointment a = loadFor(req, "appointment.read");
    _host.audit().record(req,
        clinic::AuditEvent {"appointment.read", "appointment", std::to_string(a.id), a.patientId, "ok", ""});
    auto s = _host.database().session();
    Response r = Response::text(calendarText(s, {a}, "Appointment"), "text/calendar; charset=utf-8");
    r.headers.emplace_back(
        "Content-Disposition", "attachment; filename=\"appointment-" + std::to_string(a.id) + ".ics\"");
    return r;
}

Response AppointmentBook::Impl::doctorFeed(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    // The directory is public, so an unknown doctor may be a plain 404;
    // another doctor's feed names that doctor's patients: refused, and the
    // attempt recorded as the records routes record theirs.
    auto s = _host.database().session();
    auto doctor = findDoctor(s, id);
    if (!doctor)
        throw HttpError::notFound("no such doctor");
    if (req.caller.role == "doctor" && req.caller.doctorId != id) {
        try {
            _host.audit().record(
                req, clinic::AuditEvent {"appointment.feed", "doctor", std::to_string(id), 0, "denied", ""});
        } catch (const std::exception& e) {
            _host.logger().error(std::string("could not audit a denied appointment.feed: ") + e.what());
        }
        throw HttpError::forbidden("a doctor's feed is for that doctor and the clinic's staff");
    }
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
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.feed", "doctor", std::to_string(id), 0, "ok", ""});
        for (auto p : patients)
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.feed", "doctor", std::to_string(id), p, "ok", ""});
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
        e.summary
            = (svc ? svc->name : std::string("Appointment")) + (doc ? " - " + doc->name : std::string());
        if (loc) {
            e.location = loc->name + (loc->address.empty() ? "" : ", " + loc->address)
                + (loc->city.empty() ? "" : ", " + loc->city);
            e.timezone = loc->timezone;
        }
        e.description = "Appointment " + std::to_string(a.id) + " (" + a.status + ")";
        e.status = a.status == "cancelled" || a.status == "no_show" ? "CANCELLED"
            : a.status == "pending"                                 ? "TENTATIVE"
                                                                    : "CONFIRMED";
        events.push_back(e);
    }
    return renderCalendar(name, events, nowSeconds());
}

} // namespace scheduling
