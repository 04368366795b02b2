#include "Directory.h"
#include "TimeZone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>

using namespace Poco::Data::Keywords;

namespace scheduling {
std::string hhmm(int minutes)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

/// "HH:MM", 00:00 .. 24:00, as minutes; -1 if not.
int parseHhmm(const std::string& t)
{
    if (t.size() != 5 || t[2] != ':' || !std::isdigit(static_cast<unsigned char>(t[0]))
        || !std::isdigit(static_cast<unsigned char>(t[1])) || !std::isdigit(static_cast<unsigned char>(t[3]))
        || !std::isdigit(static_cast<unsigned char>(t[4])))
        return -1;
    const int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

/// A JSON array of {"weekday","start","end"[,"location_id"]}; problems go to
/// fail(field, reason) with field like "hours[2].start".
std::vector<Period> readPeriods(const Poco::Dynamic::Var& value, const std::string& field, bool withLocation,
    const std::function<void(const std::string&, const std::string&)>& fail)
{
    std::vector<Period> out;
    if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
        fail(field, "must be an array");
        return out;
    }
    auto list = value.extract<Poco::JSON::Array::Ptr>();
    if (list->size() > 100) {
        fail(field, "at most 100 entries");
        return out;
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        auto item = list->get(static_cast<unsigned>(i));
        if (item.type() != typeid(Poco::JSON::Object::Ptr)) {
            fail(at, "must be an object");
            continue;
        }
        auto o = item.extract<Poco::JSON::Object::Ptr>();
        Period p;
        bool ok = true;
        auto intOf = [&](const std::string& key, std::int64_t min, std::int64_t max) -> std::int64_t {
            auto v = o->get(key);
            if (v.isEmpty() || !v.isInteger() || v.type() == typeid(bool)) {
                fail(at + "." + key, "must be an integer");
                ok = false;
                return 0;
            }
            const auto n = v.convert<Poco::Int64>();
            if (n < min || n > max) {
                fail(at + "." + key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
                ok = false;
            }
            return n;
        };
        auto timeOf = [&](const std::string& key) {
            auto v = o->get(key);
            int m = v.isString() ? parseHhmm(v.convert<std::string>()) : -1;
            if (m < 0) {
                fail(at + "." + key, "must be a local time \"HH:MM\" from 00:00 to 24:00");
                ok = false;
            }
            return m;
        };
        p.weekday = static_cast<int>(intOf("weekday", 1, 7));
        p.startMin = timeOf("start");
        p.endMin = timeOf("end");
        if (withLocation)
            p.locationId = intOf("location_id", 1, INT64_MAX);
        if (ok && p.startMin >= p.endMin) {
            fail(at + ".end", "must be after start");
            ok = false;
        }
        if (ok)
            out.push_back(p);
    }
    std::vector<Period> sorted = out;
    std::sort(sorted.begin(), sorted.end(), [](const Period& a, const Period& b) {
        return std::tie(a.weekday, a.startMin) < std::tie(b.weekday, b.startMin);
    });
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i].weekday == sorted[i - 1].weekday && sorted[i].startMin < sorted[i - 1].endMin)
            fail(field,
                "periods overlap on weekday " + std::to_string(sorted[i].weekday) + " ("
                    + hhmm(sorted[i - 1].startMin) + "-" + hhmm(sorted[i - 1].endMin) + " and "
                    + hhmm(sorted[i].startMin) + "-" + hhmm(sorted[i].endMin) + ")");
    return out;
}

Poco::JSON::Array::Ptr periodsJson(const std::vector<Period>& periods, bool withLocation)
{
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    for (const auto& p : periods) {
        auto o = clinic::makeObject();
        o->set("weekday", p.weekday);
        o->set("start", hhmm(p.startMin));
        o->set("end", hhmm(p.endMin));
        if (withLocation)
            o->set("location_id", static_cast<Poco::Int64>(p.locationId));
        out->add(o);
    }
    return out;
}

std::vector<Period> periodsFromText(const std::string& text)
{
    std::vector<Period> out;
    auto list = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto o = list->getObject(static_cast<unsigned>(i));
        out.push_back({o->getValue<int>("weekday"), parseHhmm(o->getValue<std::string>("start")),
            parseHhmm(o->getValue<std::string>("end")), 0});
    }
    return out;
}

std::optional<Poco::Int64> queryId(
    const clinic::Request& req, const std::string& name, std::map<std::string, std::string>& errors)
{
    return req.queryInt(name, 1, INT64_MAX, errors);
}

void loadHolidays(Poco::Data::Session& s, Location& l)
{
    std::vector<Poco::Tuple<Poco::Int64, std::string>> rows;
    s << "SELECT day, name FROM scheduling_location_holidays WHERE location_id = ? ORDER BY day", use(l.id),
        into(rows), now;
    l.holidays.clear();
    for (const auto& r : rows)
        l.holidays.emplace_back(r.get<0>(), r.get<1>());
}

std::optional<Location> findLocation(Poco::Data::Session& s, Poco::Int64 id)
{
    std::vector<LocationRow> rows;
    s << std::string("SELECT ") + kLocationColumns + " FROM scheduling_locations WHERE id = ?", use(id),
        into(rows), now;
    if (rows.empty())
        return std::nullopt;
    Location l = Location::from(rows.front());
    loadHolidays(s, l);
    return l;
}

std::optional<Service> findService(Poco::Data::Session& s, Poco::Int64 id)
{
    std::vector<ServiceRow> rows;
    s << std::string("SELECT ") + kServiceColumns + " FROM scheduling_services WHERE id = ?", use(id),
        into(rows), now;
    if (rows.empty())
        return std::nullopt;
    return Service::from(rows.front());
}

std::vector<Poco::Int64> servicesOf(Poco::Data::Session& s, Poco::Int64 doctorId)
{
    std::vector<Poco::Int64> ids;
    s << "SELECT service_id FROM scheduling_doctor_services WHERE doctor_id = ? ORDER BY service_id",
        use(doctorId), into(ids), now;
    return ids;
}

std::optional<Doctor> findDoctor(Poco::Data::Session& s, Poco::Int64 id)
{
    std::vector<DoctorRow> rows;
    s << std::string("SELECT ") + kDoctorColumns + " FROM scheduling_doctors d WHERE d.id = ?", use(id),
        into(rows), now;
    if (rows.empty())
        return std::nullopt;
    Doctor d = Doctor::from(rows.front());
    d.serviceIds = servicesOf(s, id);
    return d;
}

std::vector<Period> hoursOf(Poco::Data::Session& s, Poco::Int64 doctorId)
{
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, Poco::Int64>> rows;
    s << "SELECT weekday, start_min, end_min, location_id FROM scheduling_working_hours WHERE doctor_id "
         "= ?"
         " ORDER BY weekday, start_min",
        use(doctorId), into(rows), now;
    std::vector<Period> out;
    for (const auto& r : rows)
        out.push_back({static_cast<int>(r.get<0>()), static_cast<int>(r.get<1>()),
            static_cast<int>(r.get<2>()), r.get<3>()});
    return out;
}

bool offeredStart(
    std::int64_t startUtc, const TimeZone& zone, std::int64_t localDay, const Period& period, int slotMinutes)
{
    const std::int64_t local = startUtc + zone.offsetAt(startUtc);
    const std::int64_t seconds = local - localDay * 86400 - std::int64_t(period.startMin) * 60;
    return slotMinutes > 0 && seconds >= 0 && seconds % (std::int64_t(slotMinutes) * 60) == 0;
}

bool hasFractionalSeconds(const std::string& text)
{
    // "YYYY-MM-DDTHH:MM:SS" is 19 characters; a fraction starts right after.
    return text.size() > 19 && text[19] == '.';
}

} // namespace scheduling
