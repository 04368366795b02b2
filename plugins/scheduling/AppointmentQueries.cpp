// Reading appointments: one, or a filtered list.

#include "AppointmentBookImpl.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>

#include "PatientGuard.h"
#include "clinic/Audit.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

/// A cursor half: digits only (a leading '-' where negative is allowed), no
/// spaces, signs or separators, no overflow.
bool strictInt64(const std::string& text, bool mayBeNegative, Poco::Int64& out)
{
    const std::size_t start = mayBeNegative && !text.empty() && text[0] == '-' ? 1 : 0;
    const std::size_t digits = text.size() - start;
    if (digits == 0 || digits > 18
        || !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
            [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    out = std::stoll(text);
    return true;
}

} // namespace

Response AppointmentBook::Impl::get(Request& req)
{
    Appointment a = loadFor(req, "appointment.read");
    _host.audit().record(req,
        clinic::AuditEvent {"appointment.read", "appointment", std::to_string(a.id), a.patientId, "ok", ""});
    auto s = _host.database().session();
    return Response::json(toJson(s, a));
}

Response AppointmentBook::Impl::list(Request& req)
{
    std::map<std::string, std::string> errors;
    auto doctorId = queryId(req, "doctor_id", errors);
    auto patientId = queryId(req, "patient_id", errors);
    std::optional<std::string> status = req.query("status");
    if (status && !kActive.count(*status) && *status != "completed" && *status != "cancelled"
        && *status != "no_show")
        errors["status"] = "must be pending, confirmed, checked_in, completed, cancelled or no_show";
    std::size_t pageSize = 50;
    if (auto limit = req.queryInt("limit", 1, 500, errors))
        pageSize = static_cast<std::size_t>(*limit);
    // The cursor is "<start_utc>.<id>" of the last row of the previous page.
    Poco::Int64 afterStart = INT64_MIN, afterId = 0;
    if (auto c = req.query("cursor")) {
        auto dot = c->find('.');
        if (dot == std::string::npos || !strictInt64(c->substr(0, dot), true, afterStart)
            || !strictInt64(c->substr(dot + 1), false, afterId))
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
    if (!errors.empty())
        throw HttpError::validation(errors);
    patientId = patientInScope(_host, req, patientId, "appointment.list");

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
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.list", "appointment", "", 0, "ok", ""});
        for (auto id : shown)
            _host.audit().record(
                tx, req, clinic::AuditEvent {"appointment.list", "appointment", "", id, "ok", ""});
    });
    return Response::json(clinic::listPage(items, next));
}

} // namespace scheduling
