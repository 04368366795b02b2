// Reports: today's dashboard and the monthly figures per doctor or department.

#include "AppointmentBookImpl.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

/// A department's name for a report line ("" for none or one since removed).
std::string departmentName(Poco::Data::Session& s, Poco::Int64 id)
{
    if (!id)
        return "";
    std::vector<std::string> names;
    s << "SELECT name FROM scheduling_departments WHERE id = ?", use(id), into(names), now;
    return names.empty() ? "" : names.front();
}

} // namespace

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
         " WHERE start_utc >= ? AND start_utc < ? AND status IN ('pending', 'confirmed', 'checked_in', "
         "'completed')"
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
        o->set(
            "utilisation", worked > 0 ? static_cast<double>(r.get<2>()) / static_cast<double>(worked) : 0.0);
        doctors->add(o);
        bookedTotal += static_cast<double>(r.get<2>());
        workedTotal += static_cast<double>(worked);
    }
    out->set("today_by_doctor", doctors);

    // The same day by the service's department (none: null).
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64>> byDepartment;
    s << "SELECT COALESCE(sv.department_id, 0), COUNT(*), SUM(a.end_utc - a.start_utc)"
         " FROM scheduling_appointments a JOIN scheduling_services sv ON sv.id = a.service_id"
         " WHERE a.start_utc >= ? AND a.start_utc < ?"
         " AND a.status IN ('pending', 'confirmed', 'checked_in', 'completed')"
         " GROUP BY COALESCE(sv.department_id, 0) ORDER BY COALESCE(sv.department_id, 0)",
        use(dayStart), use(dayEnd), into(byDepartment), now;
    Poco::JSON::Array::Ptr departments = new Poco::JSON::Array;
    for (const auto& r : byDepartment) {
        auto o = clinic::makeObject();
        o->set("department_id", r.get<0>() ? Poco::Dynamic::Var(r.get<0>()) : Poco::Dynamic::Var());
        o->set("name", departmentName(s, r.get<0>()));
        o->set("appointments", r.get<1>());
        o->set("booked_minutes", r.get<2>() / 60);
        departments->add(o);
    }
    out->set("today_by_department", departments);
    out->set("utilisation", workedTotal > 0 ? bookedTotal / workedTotal : 0.0);

    // No-show rate over the last 30 days: no-shows among appointments that
    // were due (completed or no-show).
    Poco::Int64 since = nowUtc - 30 * 86400, until = nowUtc, shows = 0, noShows = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ? AND status = "
         "'completed'",
        use(since), use(until), into(shows), now;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND start_utc < ? AND status = "
         "'no_show'",
        use(since), use(until), into(noShows), now;
    out->set("no_show_rate_30d",
        shows + noShows > 0 ? static_cast<double>(noShows) / static_cast<double>(shows + noShows) : 0.0);
    Poco::Int64 upcoming = 0;
    s << "SELECT COUNT(*) FROM scheduling_appointments WHERE start_utc >= ? AND status IN ('pending', "
         "'confirmed')",
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
    if (!month || month->size() != 7 || (*month)[4] != '-'
        || std::sscanf(month->c_str(), "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12 || y < 1970 || y > 9999)
        throw HttpError::validation({{"month", "is required, as YYYY-MM"}});
    const std::string by = req.query("by").value_or("doctor");
    if (by != "doctor" && by != "department")
        throw HttpError::validation({{"by", "must be doctor or department"}});
    const bool byDepartment = by == "department";
    auto s = _host.database().session();
    auto zone = clinicZone(s);
    Poco::Int64 from = lenientUtc(*zone, daysFromCivil(y, m, 1) * 86400);
    Poco::Int64 to = lenientUtc(*zone, daysFromCivil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) * 86400);
    std::vector<Poco::Tuple<Poco::Int64, std::string, Poco::Int64, Poco::Int64, std::string>> rows;
    // Per doctor, or per the service's department (0: none).
    const std::string key = byDepartment ? "COALESCE(sv.department_id, 0)" : "a.doctor_id";
    s << "SELECT " + key
            + ", a.status, COUNT(*), SUM(CASE WHEN a.status = 'completed' THEN a.price_minor ELSE "
              "a.fee_minor "
              "END), a.currency FROM scheduling_appointments a JOIN scheduling_services sv ON sv.id = "
              "a.service_id"
              " WHERE a.start_utc >= ? AND a.start_utc < ? GROUP BY "
            + key + ", a.status, a.currency ORDER BY " + key,
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
        text << (byDepartment ? "department_id,department" : "doctor_id,doctor")
             << ",booked,completed,cancelled,no_show,revenue_minor,currency\r\n";
    auto quote = [](const std::string& v) {
        std::string out = "\"";
        for (char c : v)
            out += c == '"' ? std::string("\"\"") : std::string(1, c);
        // A cell starting with = + - @ is a formula to spreadsheet programs,
        // and so is one starting with a tab or carriage return before it.
        if (!v.empty() && std::string("=+-@\t\r").find(v[0]) != std::string::npos)
            out.insert(1, "'");
        return out + "\"";
    };
    for (const auto& [lineId, l] : lines) {
        std::string name;
        if (byDepartment) {
            name = departmentName(s, lineId);
        } else if (auto d = findDoctor(s, lineId)) {
            name = d->name;
        }
        const std::string idText = lineId ? std::to_string(lineId) : std::string();
        if (csv) {
            if (l.revenue.empty())
                text << idText << ',' << quote(name) << ',' << l.booked << ',' << l.completed << ','
                     << l.cancelled << ',' << l.noShow << ",0,\r\n";
            for (const auto& [currency, amount] : l.revenue)
                text << idText << ',' << quote(name) << ',' << l.booked << ',' << l.completed << ','
                     << l.cancelled << ',' << l.noShow << ',' << amount << ',' << currency << "\r\n";
            continue;
        }
        auto o = clinic::makeObject();
        if (byDepartment)
            o->set("department_id", lineId ? Poco::Dynamic::Var(lineId) : Poco::Dynamic::Var());
        else
            o->set("doctor_id", lineId);
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
        r.headers.emplace_back("Content-Disposition",
            "attachment; filename=\"clinic-" + *month + (byDepartment ? "-departments" : "") + ".csv\"");
        return r;
    }
    auto out = clinic::makeObject();
    out->set("month", *month);
    out->set("by", by);
    out->set("timezone", zone->name());
    out->set("items", items);
    return Response::json(out);
}

} // namespace scheduling
