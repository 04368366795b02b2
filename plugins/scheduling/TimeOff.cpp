// A doctor's time off (leave, a break), shown in the doctor's zone.

#include "SchedulingPlugin.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Array.h>
#include <Poco/Tuple.h>

using namespace Poco::Data::Keywords;

namespace scheduling {

std::shared_ptr<const TimeZone> SchedulingPlugin::zoneOfDoctor(Poco::Data::Session& s, Poco::Int64 doctorId)
{
    std::vector<std::string> zones;
    s << "SELECT l.timezone FROM scheduling_doctors d JOIN scheduling_locations l ON l.id = d.location_id"
         " WHERE d.id = ?",
        use(doctorId), into(zones), now;
    auto zone = zones.empty() ? nullptr : TimeZone::find(zones.front());
    return zone ? zone : TimeZone::find("UTC");
}

std::string SchedulingPlugin::instant(const std::shared_ptr<const TimeZone>& zone, std::int64_t utc)
{
    return formatWithOffset(utc, zone ? zone->offsetAt(utc) : 0);
}

Poco::JSON::Object::Ptr SchedulingPlugin::timeOffJson(const std::shared_ptr<const TimeZone>& zone,
    Poco::Int64 id, Poco::Int64 doctorId, Poco::Int64 start, Poco::Int64 end, const std::string& reason)
{
    auto o = clinic::makeObject();
    o->set("id", id);
    o->set("doctor_id", doctorId);
    o->set("start", instant(zone, start));
    o->set("end", instant(zone, end));
    o->set("reason", reason);
    return o;
}

Response SchedulingPlugin::listTimeOff(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    clinic::PageRequest page = clinic::readPage(req);
    auto s = _host->database().session();
    if (!exists(s, "scheduling_doctors", id))
        throw HttpError::notFound("no such doctor");
    auto zone = zoneOfDoctor(s, id);
    std::vector<Poco::Tuple<Poco::Int64, Poco::Int64, Poco::Int64, std::string>> rows;
    Poco::Int64 after = page.cursor;
    s << "SELECT id, start_utc, end_utc, reason FROM scheduling_time_off WHERE doctor_id = ? AND id > ?"
         " ORDER BY id",
        use(id), use(after), into(rows), limit(page.limit + 1), now;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
    for (std::size_t i = 0; i < rows.size() && i < page.limit; ++i)
        items->add(
            timeOffJson(zone, rows[i].get<0>(), id, rows[i].get<1>(), rows[i].get<2>(), rows[i].get<3>()));
    std::optional<Poco::Int64> next;
    if (rows.size() > page.limit)
        next = rows[page.limit - 1].get<0>();
    return Response::json(clinic::listPage(items, next));
}

Response SchedulingPlugin::createTimeOff(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto body = req.jsonObject();
    Poco::Int64 tid = 0, start = 0, end = 0;
    std::string reason;
    std::shared_ptr<const TimeZone> zone;
    _host->database().transact([&](clinic::Transaction& tx) {
        if (!exists(tx.session(), "scheduling_doctors", id))
            throw HttpError::notFound("no such doctor");
        clinic::FieldReader in(body);
        auto instantField = [&](const std::string& field) -> Poco::Int64 {
            const std::string text = in.requiredString(field, 1, 40);
            if (text.empty())
                return 0;
            auto at = parseInstant(text);
            if (!at) {
                in.fail(field, "is not an RFC 3339 instant with an offset (2027-03-28T09:00:00+03:00)");
                return 0;
            }
            return *at;
        };
        start = instantField("start");
        end = instantField("end");
        reason = in.optionalString("reason", 0, 200).value_or("");
        if (start && end && end <= start)
            in.fail("end", "must be after start");
        else if (start && end && end - start > 366LL * 86400)
            in.fail("end", "time off is at most 366 days; add another entry for more");
        in.finish();
        Poco::Int64 at = nowSeconds(), by = req.caller.userId;
        tx.session() << "INSERT INTO scheduling_time_off (doctor_id, start_utc, end_utc, reason, created_at,"
                        " created_by) VALUES (?, ?, ?, ?, ?, ?)",
            use(id), use(start), use(end), use(reason), use(at), use(by), now;
        tid = tx.lastInsertId();
    });
    auto s = _host->database().session();
    zone = zoneOfDoctor(s, id);
    Response r = Response::json(timeOffJson(zone, tid, id, start, end, reason), 201);
    r.headers.emplace_back(
        "Location", "/api/v1/doctors/" + std::to_string(id) + "/time-off/" + std::to_string(tid));
    return r;
}

Response SchedulingPlugin::deleteTimeOff(Request& req)
{
    Poco::Int64 id = req.idParam("id"), tid = req.idParam("tid");
    std::size_t removed = 0;
    _host->database().transact([&](clinic::Transaction& tx) {
        Poco::Data::Statement st(tx.session());
        st << "DELETE FROM scheduling_time_off WHERE id = ? AND doctor_id = ?", use(tid), use(id);
        removed = st.execute();
    });
    if (!removed)
        throw HttpError::notFound("no such time off");
    return Response::noContent();
}

} // namespace scheduling
