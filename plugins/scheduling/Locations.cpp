// Locations: their time zone, opening hours and holidays.

#include "SchedulingPlugin.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/Nullable.h>

#include "DirectoryCache.h"
#include "clinic/IdCursorPage.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

void SchedulingPlugin::replaceHolidays(clinic::Transaction& tx, const Location& l)
{
    Poco::Int64 id = l.id;
    DirectoryCache::changed(tx);
    tx.session() << "DELETE FROM scheduling_location_holidays WHERE location_id = ?", use(id), now;
    for (const auto& [day, label] : l.holidays) {
        Poco::Int64 d = day;
        std::string name = label;
        tx.session() << "INSERT INTO scheduling_location_holidays (location_id, day, name) VALUES (?, ?, ?)",
            use(id), use(d), use(name), now;
    }
}

void SchedulingPlugin::insertLocation(clinic::Transaction& tx, Location& l, const std::string& demoKey)
{
    Poco::Int64 at = nowSeconds();
    std::string hours = clinic::toJson(periodsJson(l.openingHours, false));
    Poco::Nullable<std::string> key;
    if (!demoKey.empty())
        key = demoKey;
    tx.session() << "INSERT INTO scheduling_locations (name, address, city, county, timezone, phone,"
                    " opening_hours, demo_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(l.name), use(l.address), use(l.city), use(l.county), use(l.timezone), use(l.phone), use(hours),
        use(key), use(at), use(at), now;
    l.id = tx.lastInsertId();
    replaceHolidays(tx, l);
}

void SchedulingPlugin::readLocation(
    clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Location& l, bool partial)
{
    auto want = [&](const char* field) { return !partial || in.has(field); };
    if (want("name"))
        l.name = in.requiredName("name", 1, 200);
    if (want("address"))
        l.address = in.requiredString("address", 1, 300);
    if (want("city"))
        l.city = in.requiredString("city", 1, 100);
    if (want("county"))
        l.county = in.requiredString("county", 1, 100);
    if (want("timezone")) {
        l.timezone = in.requiredString("timezone", 1, 64);
        if (!l.timezone.empty() && !TimeZone::find(l.timezone))
            in.fail("timezone", "is not an IANA time zone this server knows (e.g. Europe/Bucharest)");
    }
    if (in.has("phone"))
        l.phone = body->isNull("phone") ? std::string() : in.optionalString("phone", 0, 40).value_or("");
    if (in.has("opening_hours"))
        l.openingHours = readPeriods(body->get("opening_hours"), "opening_hours", false,
            [&](const std::string& f, const std::string& r) { in.fail(f, r); });
    if (in.has("holidays"))
        readHolidays(in, body->get("holidays"), l);
}

void SchedulingPlugin::readHolidays(clinic::FieldReader& in, const Poco::Dynamic::Var& value, Location& l)
{
    l.holidays.clear();
    if (value.type() != typeid(Poco::JSON::Array::Ptr)) {
        in.fail("holidays", "must be an array of {\"date\", \"name\"}");
        return;
    }
    auto list = value.extract<Poco::JSON::Array::Ptr>();
    if (list->size() > 400) {
        in.fail("holidays", "at most 400 days");
        return;
    }
    std::set<std::int64_t> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string at = "holidays[" + std::to_string(i) + "]";
        auto item = list->get(static_cast<unsigned>(i));
        if (item.type() != typeid(Poco::JSON::Object::Ptr)) {
            in.fail(at, "must be an object {\"date\", \"name\"}");
            continue;
        }
        auto o = item.extract<Poco::JSON::Object::Ptr>();
        auto date = o->get("date");
        auto day = date.isString() ? parseDate(date.convert<std::string>()) : std::nullopt;
        if (!day) {
            in.fail(at + ".date", "is not a date YYYY-MM-DD that exists");
            continue;
        }
        auto name = o->get("name");
        if (!name.isEmpty() && (!name.isString() || name.convert<std::string>().size() > 200)) {
            in.fail(at + ".name", "must be a string of at most 200 bytes");
            continue;
        }
        if (!seen.insert(*day).second) {
            in.fail(at + ".date", "is listed twice");
            continue;
        }
        l.holidays.emplace_back(*day, name.isEmpty() ? std::string() : name.convert<std::string>());
    }
    std::sort(l.holidays.begin(), l.holidays.end());
}

Response SchedulingPlugin::listLocations(Request& req)
{
    clinic::PageRequest page = clinic::readPage(req);
    auto s = _host->database().session();
    std::vector<LocationRow> rows;
    Poco::Int64 after = page.cursor;
    s << std::string("SELECT ") + kLocationColumns + " FROM scheduling_locations WHERE id > ? ORDER BY id",
        use(after), into(rows), limit(page.limit + 1), now;
    return Response::json(clinic::idCursorPage(page, rows, [&](const LocationRow& row) {
        Location l = Location::from(row);
        loadHolidays(s, l);
        return l.toJson();
    }));
}

Response SchedulingPlugin::createLocation(Request& req)
{
    auto body = req.jsonObject();
    clinic::FieldReader in(body);
    Location l;
    readLocation(in, body, l, false);
    in.finish();
    _host->database().transact([&](clinic::Transaction& tx) { insertLocation(tx, l); });
    Response r = Response::json(l.toJson(), 201);
    r.headers.emplace_back("Location", "/api/v1/locations/" + std::to_string(l.id));
    return r;
}

Response SchedulingPlugin::getLocation(Request& req)
{
    auto s = _host->database().session();
    auto l = findLocation(s, req.idParam("id"));
    if (!l)
        throw HttpError::notFound("no such location");
    return Response::json(l->toJson());
}

Response SchedulingPlugin::patchLocation(Request& req)
{
    Poco::Int64 id = req.idParam("id");
    auto body = req.jsonObject();
    Location l;
    _host->database().transact([&](clinic::Transaction& tx) {
        auto current = findLocation(tx.session(), id);
        if (!current)
            throw HttpError::notFound("no such location");
        l = *current;
        clinic::FieldReader in(body);
        readLocation(in, body, l, true);
        in.finish();
        Poco::Int64 at = nowSeconds();
        std::string hours = clinic::toJson(periodsJson(l.openingHours, false));
        DirectoryCache::changed(tx);
        tx.session() << "UPDATE scheduling_locations SET name = ?, address = ?, city = ?, county = ?,"
                        " timezone = ?, phone = ?, opening_hours = ?, updated_at = ? WHERE id = ?",
            use(l.name), use(l.address), use(l.city), use(l.county), use(l.timezone), use(l.phone),
            use(hours), use(at), use(l.id), now;
        if (body->has("holidays"))
            replaceHolidays(tx, l);
    });
    return Response::json(l.toJson());
}

} // namespace scheduling
