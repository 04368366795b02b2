// The clinic's directory and calendars: locations (with an IANA time zone and
// opening hours), services, doctors, weekly working hours in local wall-clock
// time, time off, and the free slots they leave (availability), correct
// across daylight-saving changes. The directory is not patient data, so it is
// not audited; writes are for administrators (time off also for reception).
//
// Tables are prefixed scheduling_; instants are BIGINT seconds UTC. Booking
// will add an occupancy table keyed by (doctor_id, time cell) next to these.

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <Poco/Data/Statement.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Nullable.h>
#include <Poco/NumberParser.h>
#include <Poco/Tuple.h>
#include <Poco/UTF8String.h>

#include "AppointmentLookup.h"
#include "Appointments.h"
#include "Directory.h"
#include "TimeZone.h"
#include "clinic/Audit.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

using namespace Poco::Data::Keywords;
using clinic::HttpError;
using clinic::Request;
using clinic::Response;

namespace scheduling {

namespace {

const std::set<std::string> kEveryone = {"admin", "doctor", "nurse", "receptionist", "patient"};
const std::set<std::string> kStaff = {"admin", "doctor", "nurse", "receptionist"};
const std::set<std::string> kAdmin = {"admin"};
const std::set<std::string> kFrontDesk = {"admin", "receptionist"};

constexpr std::int64_t kMaxDays = 62;

bool isCurrency(const std::string& c)
{
    return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

std::string readFileText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}


std::string foldName(const std::string& name)
{
    return Poco::UTF8::toLower(name);
}

} // namespace

class SchedulingPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "scheduling"; }
    std::string version() const override { return "0.1.0"; }
    std::vector<std::string> dependencies() const override { return {"records"}; }
    // Every route the plugin serves lies under one of these.
    std::vector<std::string> urlPrefixes() const override
    {
        return {"/api/v1/scheduling", "/api/v1/locations", "/api/v1/services", "/api/v1/doctors",
            "/api/v1/availability", "/api/v1/appointments", "/api/v1/waitlist", "/api/v1/stats/dashboard",
            "/api/v1/reports/monthly"};
    }

    std::vector<clinic::Migration> migrations() const override
    {
        std::vector<clinic::Migration> all {
            {1, "locations",
                {"CREATE TABLE scheduling_locations (id ${PK}, name VARCHAR(200) NOT NULL,"
                 " address VARCHAR(300) NOT NULL, city VARCHAR(100) NOT NULL, county VARCHAR(100) NOT NULL,"
                 " timezone VARCHAR(64) NOT NULL, phone VARCHAR(40) NOT NULL, opening_hours TEXT NOT NULL,"
                 " demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT "
                 "NULL)${TABLE}",
                    "CREATE UNIQUE INDEX scheduling_locations_demo ON scheduling_locations (demo_key)",
                    "CREATE INDEX scheduling_locations_city ON scheduling_locations (city)",
                    "CREATE INDEX scheduling_locations_county ON scheduling_locations (county)"}},
            {2, "services",
                {"CREATE TABLE scheduling_services (id ${PK}, name VARCHAR(200) NOT NULL,"
                 " department VARCHAR(100) NOT NULL, duration_min BIGINT NOT NULL, price_minor BIGINT NOT "
                 "NULL,"
                 " currency VARCHAR(3) NOT NULL, demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL,"
                 " updated_at BIGINT NOT NULL)${TABLE}",
                    "CREATE UNIQUE INDEX scheduling_services_demo ON scheduling_services (demo_key)"}},
            {3, "doctors",
                {"CREATE TABLE scheduling_doctors (id ${PK}, name VARCHAR(200) NOT NULL,"
                 " name_key VARCHAR(191) NOT NULL, specialty VARCHAR(100) NOT NULL, location_id BIGINT NOT "
                 "NULL,"
                 " user_id BIGINT NULL, demo_key VARCHAR(64) NULL, created_at BIGINT NOT NULL,"
                 " updated_at BIGINT NOT NULL)${TABLE}",
                    "CREATE UNIQUE INDEX scheduling_doctors_demo ON scheduling_doctors (demo_key)",
                    "CREATE INDEX scheduling_doctors_specialty ON scheduling_doctors (specialty, id)",
                    "CREATE INDEX scheduling_doctors_location ON scheduling_doctors (location_id, id)",
                    "CREATE INDEX scheduling_doctors_name ON scheduling_doctors (name_key)"}},
            {4, "doctor services",
                {"CREATE TABLE scheduling_doctor_services (doctor_id BIGINT NOT NULL, service_id BIGINT NOT "
                 "NULL,"
                 " PRIMARY KEY (doctor_id, service_id))${TABLE}",
                    "CREATE INDEX scheduling_doctor_services_service ON scheduling_doctor_services "
                    "(service_id, "
                    "doctor_id)"}},
            {5, "working hours",
                {"CREATE TABLE scheduling_working_hours (id ${PK}, doctor_id BIGINT NOT NULL,"
                 " location_id BIGINT NOT NULL, weekday BIGINT NOT NULL, start_min BIGINT NOT NULL,"
                 " end_min BIGINT NOT NULL)${TABLE}",
                    "CREATE INDEX scheduling_working_hours_doctor ON scheduling_working_hours (doctor_id, "
                    "weekday)"}},
            {6, "time off",
                {"CREATE TABLE scheduling_time_off (id ${PK}, doctor_id BIGINT NOT NULL, start_utc BIGINT "
                 "NOT NULL,"
                 " end_utc BIGINT NOT NULL, reason VARCHAR(200) NOT NULL, created_at BIGINT NOT NULL,"
                 " created_by BIGINT NOT NULL)${TABLE}",
                    "CREATE INDEX scheduling_time_off_start ON scheduling_time_off (doctor_id, start_utc)",
                    "CREATE INDEX scheduling_time_off_end ON scheduling_time_off (doctor_id, end_utc)"}},
            {7, "location holidays",
                {"CREATE TABLE scheduling_location_holidays (location_id BIGINT NOT NULL, day BIGINT NOT "
                 "NULL,"
                 " name VARCHAR(200) NOT NULL, PRIMARY KEY (location_id, day))${TABLE}"}},
        };
        for (auto& m : AppointmentBook::migrations())
            all.push_back(std::move(m));
        return all;
    }

    void start(clinic::Host& host) override
    {
        _host = &host;
        auto add = [&](const std::string& method, const std::string& pattern, std::set<std::string> roles,
                       Response (SchedulingPlugin::*fn)(Request&), const std::string& summary) {
            host.router().add({method, pattern, clinic::Access::only(std::move(roles)),
                [this, fn](Request& req) { return (this->*fn)(req); }, summary});
        };
        add("GET", "/api/v1/locations", kEveryone, &SchedulingPlugin::listLocations, "scheduling: locations");
        add("POST", "/api/v1/locations", kAdmin, &SchedulingPlugin::createLocation,
            "scheduling: add a location");
        add("GET", "/api/v1/locations/{id}", kEveryone, &SchedulingPlugin::getLocation,
            "scheduling: one location");
        add("PATCH", "/api/v1/locations/{id}", kAdmin, &SchedulingPlugin::patchLocation,
            "scheduling: change a location");
        add("GET", "/api/v1/services", kEveryone, &SchedulingPlugin::listServices, "scheduling: services");
        add("POST", "/api/v1/services", kAdmin, &SchedulingPlugin::createService,
            "scheduling: add a service");
        add("GET", "/api/v1/services/{id}", kEveryone, &SchedulingPlugin::getService,
            "scheduling: one service");
        add("PATCH", "/api/v1/services/{id}", kAdmin, &SchedulingPlugin::patchService,
            "scheduling: change a service");
        add("GET", "/api/v1/doctors", kEveryone, &SchedulingPlugin::listDoctors,
            "scheduling: list or search doctors (?q=&specialty=&city=&county=&location_id=)");
        add("POST", "/api/v1/doctors", kAdmin, &SchedulingPlugin::createDoctor, "scheduling: add a doctor");
        add("GET", "/api/v1/doctors/{id}", kEveryone, &SchedulingPlugin::getDoctor,
            "scheduling: one doctor with weekly hours");
        add("PATCH", "/api/v1/doctors/{id}", kAdmin, &SchedulingPlugin::patchDoctor,
            "scheduling: change a doctor");
        add("PUT", "/api/v1/doctors/{id}/hours", kAdmin, &SchedulingPlugin::putHours,
            "scheduling: replace a doctor's weekly working hours");
        add("GET", "/api/v1/doctors/{id}/time-off", kStaff, &SchedulingPlugin::listTimeOff,
            "scheduling: a doctor's time off");
        add("POST", "/api/v1/doctors/{id}/time-off", kFrontDesk, &SchedulingPlugin::createTimeOff,
            "scheduling: add time off (leave, a break)");
        add("DELETE", "/api/v1/doctors/{id}/time-off/{tid}", kFrontDesk, &SchedulingPlugin::deleteTimeOff,
            "scheduling: remove time off");
        add("GET", "/api/v1/availability", kEveryone, &SchedulingPlugin::availability,
            "scheduling: free slots (?doctor_id= or ?specialty=&location_id=, service_id, from, to,"
            " patient_id)");
        _book = std::make_unique<AppointmentBook>(host);
        _book->start();
        host.services().publish<clinic::scheduling::AppointmentLookup>(
            clinic::scheduling::kAppointmentLookupService, makeAppointmentLookup(host.database()));
    }

    std::string loadDemoData(clinic::Host& host, const std::string& demoDir) override
    {
        _host = &host;
        auto parse = [&](const std::string& file) {
            return Poco::JSON::Parser()
                .parse(readFileText(demoDir + "/" + file))
                .extract<Poco::JSON::Array::Ptr>();
        };
        auto locations = parse("locations.json");
        auto services = parse("services.json");
        auto doctors = parse("doctors.json");
        std::size_t added = 0, hours = 0;
        host.database().transact([&](clinic::Transaction& tx) {
            added = 0;
            hours = 0;
            std::map<std::string, Poco::Int64> locationIds, serviceIds;
            auto known = [&](const char* table, const std::string& key) -> Poco::Int64 {
                std::vector<Poco::Int64> ids;
                std::string k = key;
                tx.session() << "SELECT id FROM " + std::string(table) + " WHERE demo_key = ?", use(k),
                    into(ids), now;
                return ids.empty() ? 0 : ids.front();
            };
            auto fail = [](const std::string& field, const std::string& reason) {
                throw std::runtime_error("demo data: " + field + " " + reason);
            };
            for (std::size_t i = 0; i < locations->size(); ++i) {
                auto o = locations->getObject(static_cast<unsigned>(i));
                const std::string key = o->getValue<std::string>("key");
                Poco::Int64 id = known("scheduling_locations", key);
                if (!id) {
                    Location l;
                    l.name = o->getValue<std::string>("name");
                    l.address = o->optValue<std::string>("address", "");
                    l.city = o->getValue<std::string>("city");
                    l.county = o->getValue<std::string>("county");
                    l.timezone = o->getValue<std::string>("timezone");
                    if (!TimeZone::find(l.timezone))
                        fail("timezone", "is not a known IANA zone: " + l.timezone);
                    l.phone = o->optValue<std::string>("phone", "");
                    if (o->has("opening_hours"))
                        l.openingHours = readPeriods(o->get("opening_hours"), "opening_hours", false, fail);
                    insertLocation(tx, l, key);
                    id = l.id;
                    ++added;
                }
                locationIds[key] = id;
            }
            for (std::size_t i = 0; i < services->size(); ++i) {
                auto o = services->getObject(static_cast<unsigned>(i));
                const std::string key = o->getValue<std::string>("key");
                Poco::Int64 id = known("scheduling_services", key);
                if (!id) {
                    Service s;
                    s.name = o->getValue<std::string>("name");
                    s.department = o->getValue<std::string>("department");
                    s.durationMin = o->getValue<Poco::Int64>("duration_min");
                    s.priceMinor = o->getValue<Poco::Int64>("price_minor");
                    s.currency = o->getValue<std::string>("currency");
                    insertService(tx, s, key);
                    id = s.id;
                    ++added;
                }
                serviceIds[key] = id;
            }
            auto lookup = [&](std::map<std::string, Poco::Int64>& m, const std::string& key) {
                auto it = m.find(key);
                if (it == m.end())
                    throw std::runtime_error("demo data: unknown key " + key);
                return it->second;
            };
            for (std::size_t i = 0; i < doctors->size(); ++i) {
                auto o = doctors->getObject(static_cast<unsigned>(i));
                const std::string key = o->getValue<std::string>("key");
                auto hoursList = o->getArray("hours");
                hours += hoursList ? hoursList->size() : 0;
                if (known("scheduling_doctors", key))
                    continue;
                Doctor d;
                d.name = o->getValue<std::string>("name");
                d.specialty = o->getValue<std::string>("specialty");
                d.locationId = lookup(locationIds, o->getValue<std::string>("location_key"));
                auto keys = o->getArray("service_keys");
                for (std::size_t k = 0; keys && k < keys->size(); ++k)
                    d.serviceIds.push_back(
                        lookup(serviceIds, keys->getElement<std::string>(static_cast<unsigned>(k))));
                insertDoctor(tx, d, key);
                ++added;
                Poco::JSON::Array::Ptr withIds = new Poco::JSON::Array;
                for (std::size_t h = 0; hoursList && h < hoursList->size(); ++h) {
                    auto src = hoursList->getObject(static_cast<unsigned>(h));
                    auto copy = clinic::makeObject();
                    copy->set("weekday", src->get("weekday"));
                    copy->set("start", src->get("start"));
                    copy->set("end", src->get("end"));
                    copy->set("location_id", lookup(locationIds, src->getValue<std::string>("location_key")));
                    withIds->add(copy);
                }
                replaceHours(tx, d.id, readPeriods(withIds, "hours", true, fail));
            }
        });
        return std::to_string(locations->size()) + " locations, " + std::to_string(services->size())
            + " services, " + std::to_string(doctors->size()) + " doctors, " + std::to_string(hours)
            + " weekly hours (" + (added ? std::to_string(added) + " new" : "nothing new") + ")";
    }

private:
    clinic::Host* _host = nullptr;
    std::unique_ptr<AppointmentBook> _book;

    std::int64_t nowSeconds() const
    {
        return std::chrono::duration_cast<std::chrono::seconds>(_host->clock().now().time_since_epoch())
            .count();
    }

    // ---- storage ------------------------------------------------------------

    template<class T> bool exists(T& session, const std::string& table, Poco::Int64 id)
    {
        Poco::Int64 n = 0;
        session << "SELECT COUNT(*) FROM " + table + " WHERE id = ?", use(id), into(n), now;
        return n > 0;
    }

    void replaceHolidays(clinic::Transaction& tx, const Location& l)
    {
        Poco::Int64 id = l.id;
        tx.session() << "DELETE FROM scheduling_location_holidays WHERE location_id = ?", use(id), now;
        for (const auto& [day, label] : l.holidays) {
            Poco::Int64 d = day;
            std::string name = label;
            tx.session()
                << "INSERT INTO scheduling_location_holidays (location_id, day, name) VALUES (?, ?, ?)",
                use(id), use(d), use(name), now;
        }
    }

    void insertLocation(clinic::Transaction& tx, Location& l, const std::string& demoKey = "")
    {
        Poco::Int64 at = nowSeconds();
        std::string hours = clinic::toJson(periodsJson(l.openingHours, false));
        Poco::Nullable<std::string> key;
        if (!demoKey.empty())
            key = demoKey;
        tx.session()
            << "INSERT INTO scheduling_locations (name, address, city, county, timezone, phone,"
               " opening_hours, demo_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            use(l.name), use(l.address), use(l.city), use(l.county), use(l.timezone), use(l.phone),
            use(hours), use(key), use(at), use(at), now;
        l.id = tx.lastInsertId();
        replaceHolidays(tx, l);
    }

    void insertService(clinic::Transaction& tx, Service& s, const std::string& demoKey = "")
    {
        Poco::Int64 at = nowSeconds();
        Poco::Nullable<std::string> key;
        if (!demoKey.empty())
            key = demoKey;
        tx.session()
            << "INSERT INTO scheduling_services (name, department, duration_min, price_minor, currency,"
               " demo_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            use(s.name), use(s.department), use(s.durationMin), use(s.priceMinor), use(s.currency), use(key),
            use(at), use(at), now;
        s.id = tx.lastInsertId();
    }

    void linkServices(clinic::Transaction& tx, Doctor& d)
    {
        tx.session() << "DELETE FROM scheduling_doctor_services WHERE doctor_id = ?", use(d.id), now;
        std::sort(d.serviceIds.begin(), d.serviceIds.end());
        d.serviceIds.erase(std::unique(d.serviceIds.begin(), d.serviceIds.end()), d.serviceIds.end());
        for (auto sid : d.serviceIds)
            tx.session() << "INSERT INTO scheduling_doctor_services (doctor_id, service_id) VALUES (?, ?)",
                use(d.id), use(sid), now;
    }

    void insertDoctor(clinic::Transaction& tx, Doctor& d, const std::string& demoKey = "")
    {
        Poco::Int64 at = nowSeconds();
        std::string nameKey = foldName(d.name);
        Poco::Nullable<std::string> key;
        if (!demoKey.empty())
            key = demoKey;
        Poco::Nullable<Poco::Int64> user;
        if (d.userId)
            user = *d.userId;
        tx.session()
            << "INSERT INTO scheduling_doctors (name, name_key, specialty, location_id, user_id, demo_key,"
               " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            use(d.name), use(nameKey), use(d.specialty), use(d.locationId), use(user), use(key), use(at),
            use(at), now;
        d.id = tx.lastInsertId();
        linkServices(tx, d);
    }

    void replaceHours(clinic::Transaction& tx, Poco::Int64 doctorId, const std::vector<Period>& periods)
    {
        tx.session() << "DELETE FROM scheduling_working_hours WHERE doctor_id = ?", use(doctorId), now;
        for (const auto& p : periods) {
            Poco::Int64 weekday = p.weekday, start = p.startMin, end = p.endMin, location = p.locationId;
            tx.session()
                << "INSERT INTO scheduling_working_hours (doctor_id, location_id, weekday, start_min,"
                   " end_min) VALUES (?, ?, ?, ?, ?)",
                use(doctorId), use(location), use(weekday), use(start), use(end), now;
        }
    }

    // ---- locations ------------------------------------------------------------

    void readLocation(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Location& l, bool partial)
    {
        auto want = [&](const char* field) { return !partial || in.has(field); };
        if (want("name"))
            l.name = in.requiredString("name", 1, 200);
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

    /// [{"date": "YYYY-MM-DD", "name": "..."}]: days the location is closed.
    static void readHolidays(clinic::FieldReader& in, const Poco::Dynamic::Var& value, Location& l)
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

    Response listLocations(Request& req)
    {
        clinic::PageRequest page = clinic::readPage(req);
        auto s = _host->database().session();
        std::vector<LocationRow> rows;
        Poco::Int64 after = page.cursor;
        s << std::string("SELECT ") + kLocationColumns
                + " FROM scheduling_locations WHERE id > ? ORDER BY id",
            use(after), into(rows), limit(page.limit + 1), now;
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        std::optional<Poco::Int64> next;
        for (std::size_t i = 0; i < rows.size() && i < page.limit; ++i) {
            Location l = Location::from(rows[i]);
            loadHolidays(s, l);
            items->add(l.toJson());
        }
        if (rows.size() > page.limit)
            next = rows[page.limit - 1].get<0>();
        return Response::json(clinic::listPage(items, next));
    }

    Response createLocation(Request& req)
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

    Response getLocation(Request& req)
    {
        auto s = _host->database().session();
        auto l = findLocation(s, req.idParam("id"));
        if (!l)
            throw HttpError::notFound("no such location");
        return Response::json(l->toJson());
    }

    Response patchLocation(Request& req)
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
            tx.session() << "UPDATE scheduling_locations SET name = ?, address = ?, city = ?, county = ?,"
                            " timezone = ?, phone = ?, opening_hours = ?, updated_at = ? WHERE id = ?",
                use(l.name), use(l.address), use(l.city), use(l.county), use(l.timezone), use(l.phone),
                use(hours), use(at), use(l.id), now;
            if (body->has("holidays"))
                replaceHolidays(tx, l);
        });
        return Response::json(l.toJson());
    }

    // ---- services -------------------------------------------------------------

    void readService(clinic::FieldReader& in, Service& s, bool partial)
    {
        auto want = [&](const char* field) { return !partial || in.has(field); };
        if (want("name"))
            s.name = in.requiredString("name", 1, 200);
        if (want("department"))
            s.department = in.requiredString("department", 1, 100);
        if (want("duration_min"))
            s.durationMin = in.requiredInt("duration_min", 5, 480);
        if (want("price_minor"))
            s.priceMinor = in.requiredInt("price_minor", 0, 1000000000000LL);
        if (want("currency")) {
            s.currency = in.requiredString("currency", 1, 3);
            if (!s.currency.empty() && !isCurrency(s.currency))
                in.fail("currency", "must be an ISO 4217 code of three capital letters (RON, EUR)");
        }
    }

    Response listServices(Request& req)
    {
        clinic::PageRequest page = clinic::readPage(req);
        auto s = _host->database().session();
        std::vector<ServiceRow> rows;
        Poco::Int64 after = page.cursor;
        s << std::string("SELECT ") + kServiceColumns + " FROM scheduling_services WHERE id > ? ORDER BY id",
            use(after), into(rows), limit(page.limit + 1), now;
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (std::size_t i = 0; i < rows.size() && i < page.limit; ++i)
            items->add(Service::from(rows[i]).toJson());
        std::optional<Poco::Int64> next;
        if (rows.size() > page.limit)
            next = rows[page.limit - 1].get<0>();
        return Response::json(clinic::listPage(items, next));
    }

    Response createService(Request& req)
    {
        clinic::FieldReader in(req.jsonObject());
        Service s;
        readService(in, s, false);
        in.finish();
        _host->database().transact([&](clinic::Transaction& tx) { insertService(tx, s); });
        Response r = Response::json(s.toJson(), 201);
        r.headers.emplace_back("Location", "/api/v1/services/" + std::to_string(s.id));
        return r;
    }

    Response getService(Request& req)
    {
        auto s = _host->database().session();
        auto found = findService(s, req.idParam("id"));
        if (!found)
            throw HttpError::notFound("no such service");
        return Response::json(found->toJson());
    }

    Response patchService(Request& req)
    {
        Poco::Int64 id = req.idParam("id");
        auto body = req.jsonObject();
        Service s;
        _host->database().transact([&](clinic::Transaction& tx) {
            auto current = findService(tx.session(), id);
            if (!current)
                throw HttpError::notFound("no such service");
            s = *current;
            clinic::FieldReader in(body);
            readService(in, s, true);
            in.finish();
            Poco::Int64 at = nowSeconds();
            tx.session() << "UPDATE scheduling_services SET name = ?, department = ?, duration_min = ?,"
                            " price_minor = ?, currency = ?, updated_at = ? WHERE id = ?",
                use(s.name), use(s.department), use(s.durationMin), use(s.priceMinor), use(s.currency),
                use(at), use(s.id), now;
        });
        return Response::json(s.toJson());
    }

    // ---- doctors --------------------------------------------------------------

    void readDoctor(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Doctor& d, bool partial,
        Poco::Data::Session& s)
    {
        auto want = [&](const char* field) { return !partial || in.has(field); };
        if (want("name"))
            d.name = in.requiredString("name", 1, 200);
        if (want("specialty"))
            d.specialty = in.requiredString("specialty", 1, 100);
        if (want("location_id")) {
            d.locationId = in.requiredInt("location_id", 1, INT64_MAX);
            if (d.locationId > 0 && !exists(s, "scheduling_locations", d.locationId))
                in.fail("location_id", "no such location");
        }
        if (in.has("service_ids")) {
            auto v = body->get("service_ids");
            d.serviceIds.clear();
            if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
                in.fail("service_ids", "must be an array of service ids");
            } else {
                auto list = v.extract<Poco::JSON::Array::Ptr>();
                if (list->size() > 200)
                    in.fail("service_ids", "at most 200 services");
                for (std::size_t i = 0; i < list->size() && i < 200; ++i) {
                    auto item = list->get(static_cast<unsigned>(i));
                    if (!item.isInteger() || item.type() == typeid(bool) || item.convert<Poco::Int64>() < 1) {
                        in.fail("service_ids", "must be an array of service ids");
                        break;
                    }
                    const auto sid = item.convert<Poco::Int64>();
                    if (!exists(s, "scheduling_services", sid)) {
                        in.fail("service_ids", "no such service: " + std::to_string(sid));
                        break;
                    }
                    d.serviceIds.push_back(sid);
                }
            }
        }
        if (in.has("user_id")) {
            if (body->isNull("user_id")) {
                d.userId.reset();
            } else if (auto user = in.optionalInt("user_id", 1, INT64_MAX)) {
                d.userId = *user;
                if (!exists(s, "users", *user))
                    in.fail("user_id", "no such user");
            }
        }
    }

    Response listDoctors(Request& req)
    {
        clinic::PageRequest page = clinic::readPage(req);
        std::map<std::string, std::string> errors;
        auto location = queryId(req, "location_id", errors);
        if (!errors.empty())
            throw HttpError::validation(errors);
        // String conditions first, then integers: bindings follow the
        // placeholders' order.
        std::string sql = std::string("SELECT ") + kDoctorColumns
            + " FROM scheduling_doctors d JOIN scheduling_locations l ON l.id = d.location_id WHERE 1 = 1";
        std::vector<std::string> strings;
        strings.reserve(4);
        if (auto q = req.query("q"); q && !q->empty()) {
            sql += " AND d.name_key LIKE ?";
            std::string escaped;
            for (char c : foldName(q->substr(0, 100)))
                if (c != '%' && c != '_')
                    escaped += c;
            strings.push_back("%" + escaped + "%");
        }
        for (const char* field : {"specialty", "city", "county"})
            if (auto v = req.query(field); v && !v->empty()) {
                sql += std::string(" AND ") + (field == std::string("specialty") ? "d." : "l.") + field
                    + " = ?";
                strings.push_back(*v);
            }
        std::vector<Poco::Int64> ints;
        ints.reserve(2);
        if (location) {
            sql += " AND d.location_id = ?";
            ints.push_back(*location);
        }
        sql += " AND d.id > ? ORDER BY d.id";
        ints.push_back(page.cursor);
        auto s = _host->database().session();
        std::vector<DoctorRow> rows;
        Poco::Data::Statement st(s);
        st << sql;
        for (auto& v : strings)
            st, use(v);
        for (auto& v : ints)
            st, use(v);
        st, into(rows), limit(page.limit + 1);
        st.execute();
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (std::size_t i = 0; i < rows.size() && i < page.limit; ++i) {
            Doctor d = Doctor::from(rows[i]);
            d.serviceIds = servicesOf(s, d.id);
            items->add(d.toJson());
        }
        std::optional<Poco::Int64> next;
        if (rows.size() > page.limit)
            next = rows[page.limit - 1].get<0>();
        return Response::json(clinic::listPage(items, next));
    }

    Response createDoctor(Request& req)
    {
        auto body = req.jsonObject();
        Doctor d;
        _host->database().transact([&](clinic::Transaction& tx) {
            clinic::FieldReader in(body);
            readDoctor(in, body, d, false, tx.session());
            in.finish();
            insertDoctor(tx, d);
        });
        Response r = Response::json(d.toJson(), 201);
        r.headers.emplace_back("Location", "/api/v1/doctors/" + std::to_string(d.id));
        return r;
    }

    Response getDoctor(Request& req)
    {
        auto s = _host->database().session();
        auto d = findDoctor(s, req.idParam("id"));
        if (!d)
            throw HttpError::notFound("no such doctor");
        auto out = d->toJson();
        out->set("hours", periodsJson(hoursOf(s, d->id), true));
        return Response::json(out);
    }

    Response patchDoctor(Request& req)
    {
        Poco::Int64 id = req.idParam("id");
        auto body = req.jsonObject();
        Doctor d;
        _host->database().transact([&](clinic::Transaction& tx) {
            auto current = findDoctor(tx.session(), id);
            if (!current)
                throw HttpError::notFound("no such doctor");
            d = *current;
            clinic::FieldReader in(body);
            readDoctor(in, body, d, true, tx.session());
            in.finish();
            Poco::Int64 at = nowSeconds();
            std::string nameKey = foldName(d.name);
            Poco::Nullable<Poco::Int64> user;
            if (d.userId)
                user = *d.userId;
            tx.session()
                << "UPDATE scheduling_doctors SET name = ?, name_key = ?, specialty = ?, location_id = ?,"
                   " user_id = ?, updated_at = ? WHERE id = ?",
                use(d.name), use(nameKey), use(d.specialty), use(d.locationId), use(user), use(at), use(d.id),
                now;
            if (body->has("service_ids"))
                linkServices(tx, d);
        });
        return Response::json(d.toJson());
    }

    // ---- working hours and time off ------------------------------------------

    Response putHours(Request& req)
    {
        Poco::Int64 id = req.idParam("id");
        Poco::Dynamic::Var parsed;
        try {
            parsed = Poco::JSON::Parser().parse(req.body);
        } catch (const std::exception&) {
            throw HttpError(400, "MALFORMED_JSON", "the request body is not valid JSON");
        }
        // The body is the array itself; {"hours": [...]} is accepted too.
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr))
            parsed = parsed.extract<Poco::JSON::Object::Ptr>()->get("hours");
        std::vector<Period> periods;
        _host->database().transact([&](clinic::Transaction& tx) {
            if (!exists(tx.session(), "scheduling_doctors", id))
                throw HttpError::notFound("no such doctor");
            std::map<std::string, std::string> errors;
            periods = readPeriods(parsed, "hours", true,
                [&](const std::string& f, const std::string& r) { errors.emplace(f, r); });
            for (std::size_t i = 0; i < periods.size(); ++i)
                if (!exists(tx.session(), "scheduling_locations", periods[i].locationId))
                    errors.emplace("hours[" + std::to_string(i) + "].location_id", "no such location");
            if (!errors.empty())
                throw HttpError::validation(errors);
            replaceHours(tx, id, periods);
        });
        std::sort(periods.begin(), periods.end(), [](const Period& a, const Period& b) {
            return std::tie(a.weekday, a.startMin) < std::tie(b.weekday, b.startMin);
        });
        auto out = clinic::makeObject();
        out->set("items", periodsJson(periods, true));
        return Response::json(out);
    }

    /// The zone of a doctor's main location, for showing instants.
    std::shared_ptr<const TimeZone> zoneOfDoctor(Poco::Data::Session& s, Poco::Int64 doctorId)
    {
        std::vector<std::string> zones;
        s << "SELECT l.timezone FROM scheduling_doctors d JOIN scheduling_locations l ON l.id = d.location_id"
             " WHERE d.id = ?",
            use(doctorId), into(zones), now;
        auto zone = zones.empty() ? nullptr : TimeZone::find(zones.front());
        return zone ? zone : TimeZone::find("UTC");
    }

    static std::string instant(const std::shared_ptr<const TimeZone>& zone, std::int64_t utc)
    {
        return formatWithOffset(utc, zone ? zone->offsetAt(utc) : 0);
    }

    Poco::JSON::Object::Ptr timeOffJson(const std::shared_ptr<const TimeZone>& zone, Poco::Int64 id,
        Poco::Int64 doctorId, Poco::Int64 start, Poco::Int64 end, const std::string& reason)
    {
        auto o = clinic::makeObject();
        o->set("id", id);
        o->set("doctor_id", doctorId);
        o->set("start", instant(zone, start));
        o->set("end", instant(zone, end));
        o->set("reason", reason);
        return o;
    }

    Response listTimeOff(Request& req)
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
            items->add(timeOffJson(
                zone, rows[i].get<0>(), id, rows[i].get<1>(), rows[i].get<2>(), rows[i].get<3>()));
        std::optional<Poco::Int64> next;
        if (rows.size() > page.limit)
            next = rows[page.limit - 1].get<0>();
        return Response::json(clinic::listPage(items, next));
    }

    Response createTimeOff(Request& req)
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
            tx.session()
                << "INSERT INTO scheduling_time_off (doctor_id, start_utc, end_utc, reason, created_at,"
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

    Response deleteTimeOff(Request& req)
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

    // ---- availability -------------------------------------------------------

    Response availability(Request& req)
    {
        std::map<std::string, std::string> errors;
        auto doctorId = queryId(req, "doctor_id", errors);
        auto serviceId = queryId(req, "service_id", errors);
        auto locationId = queryId(req, "location_id", errors);
        auto patientId = queryId(req, "patient_id", errors);
        if (req.caller.role == "patient") {
            // A patient sees the slots as they would be for them (a rule may
            // give a new patient a longer first visit).
            if (patientId && *patientId != req.caller.patientId)
                throw HttpError::notFound("no such patient");
            patientId = req.caller.patientId;
        }
        const std::string specialty = req.query("specialty").value_or("");
        if (!serviceId && !errors.count("service_id"))
            errors["service_id"] = "is required";
        if (!doctorId && !errors.count("doctor_id") && specialty.empty() && !locationId
            && !errors.count("location_id"))
            errors["doctor_id"] = "is required unless specialty or location_id is given";
        auto dateParam = [&](const std::string& field) -> std::optional<std::int64_t> {
            auto v = req.query(field);
            if (!v) {
                errors[field] = "is required (a local date YYYY-MM-DD)";
                return std::nullopt;
            }
            auto day = parseDate(*v);
            if (!day)
                errors[field] = "is not a date YYYY-MM-DD that exists";
            return day;
        };
        const std::optional<std::int64_t> from = dateParam("from"), to = dateParam("to");
        if (from && to && *to < *from)
            errors["to"] = "must not be before from";
        else if (from && to && *to - *from + 1 > kMaxDays)
            errors["to"] = "the range is at most " + std::to_string(kMaxDays) + " days";
        if (!errors.empty())
            throw HttpError::validation(errors);
        const std::int64_t firstDay = from.value_or(0), lastDay = to.value_or(0);

        auto s = _host->database().session();
        auto service = findService(s, *serviceId);
        if (!service)
            throw HttpError::validation({{"service_id", "no such service"}});

        std::vector<Poco::Int64> doctors;
        if (doctorId) {
            auto d = findDoctor(s, *doctorId);
            if (!d)
                throw HttpError::validation({{"doctor_id", "no such doctor"}});
            if (std::find(d->serviceIds.begin(), d->serviceIds.end(), *serviceId) == d->serviceIds.end())
                throw HttpError::validation({{"service_id", "this doctor does not offer this service"}});
            doctors.push_back(*doctorId);
        } else {
            Poco::Int64 sid = *serviceId;
            std::string spec = specialty;
            if (specialty.empty())
                s << "SELECT doctor_id FROM scheduling_doctor_services WHERE service_id = ? ORDER BY "
                     "doctor_id",
                    use(sid), into(doctors), now;
            else
                s << "SELECT d.id FROM scheduling_doctors d JOIN scheduling_doctor_services ds"
                     " ON ds.doctor_id = d.id AND ds.service_id = ? WHERE d.specialty = ? ORDER BY d.id",
                    use(sid), use(spec), into(doctors), now;
        }

        const std::int64_t nowUtc = nowSeconds();
        // The UTC window that covers the local dates in any zone (offsets are
        // within +-26 hours).
        Poco::Int64 windowStart = firstDay * 86400 - 2 * 86400, windowEnd = (lastDay + 3) * 86400;
        std::map<Poco::Int64, std::shared_ptr<const TimeZone>> zones;
        std::map<Poco::Int64, std::optional<Location>> locations;
        std::map<Poco::Int64, std::set<std::int64_t>> holidays;
        Poco::JSON::Object::Ptr patient;
        if (patientId) {
            _host->access().require(req, *patientId, clinic::PatientData::Demographics);
            patient = _book->patientContext(*patientId, std::nullopt);
            if (!patient)
                throw HttpError::validation({{"patient_id", "no such patient"}});
            // The patient's age, sex and history shaped these slots: a read.
            _host->audit().record(req,
                clinic::AuditEvent {
                    "availability.read", "patient", std::to_string(*patientId), *patientId, "ok", ""});
        }
        struct Slot {
            std::int64_t start, end;
            Poco::Int64 doctor, location;
            std::int32_t startOffset, endOffset;
        };
        std::vector<Slot> slots;
        for (Poco::Int64 doctor : doctors) {
            auto doctorRow = findDoctor(s, doctor);
            if (!doctorRow)
                continue;
            std::vector<Period> hours = hoursOf(s, doctor);
            if (locationId)
                hours.erase(std::remove_if(hours.begin(), hours.end(),
                                [&](const Period& p) { return p.locationId != *locationId; }),
                    hours.end());
            if (hours.empty())
                continue;
            std::vector<Poco::Tuple<Poco::Int64, Poco::Int64>> off;
            s << "SELECT start_utc, end_utc FROM scheduling_time_off WHERE doctor_id = ? AND end_utc > ?"
                 " AND start_utc < ? ORDER BY start_utc",
                use(doctor), use(windowStart), use(windowEnd), into(off), now;
            const auto taken = occupiedCells(s, doctor, windowStart, windowEnd);
            for (const auto& p : hours) {
                auto& zone = zones[p.locationId];
                auto& closed = holidays[p.locationId];
                auto& location = locations[p.locationId];
                if (!zone) {
                    location = findLocation(s, p.locationId);
                    zone = location ? TimeZone::find(location->timezone) : nullptr;
                    if (!zone)
                        continue;
                    for (const auto& h : location->holidays)
                        closed.insert(h.first);
                }
                BookingFacts facts {&*doctorRow, &*service, &*location, patient, req.caller.role, nowUtc, {}};
                const int minutes = _book->slotMinutes(facts);
                for (std::int64_t day = firstDay; day <= lastDay; ++day) {
                    if (isoWeekday(day) != p.weekday || closed.count(day))
                        continue;
                    // Slots start on local wall-clock times; a start in a
                    // spring gap does not exist and is skipped, a start in an
                    // autumn overlap is offered once, at its first occurrence.
                    for (int m = p.startMin; m + minutes <= p.endMin; m += minutes) {
                        auto utcs = zone->toUtc(day * 86400 + m * 60);
                        if (utcs.empty())
                            continue;
                        const std::int64_t start = utcs.front(), end = start + minutes * 60;
                        // The end in real time, as booking checks it (on a
                        // spring-forward day the period is an hour shorter).
                        if (start < nowUtc || end > lenientUtc(*zone, day * 86400 + p.endMin * 60))
                            continue;
                        bool blocked = touches(taken, start, end);
                        for (const auto& o : off)
                            if (o.get<0>() < end && start < o.get<1>()) {
                                blocked = true;
                                break;
                            }
                        if (!blocked)
                            slots.push_back({start, end, doctor, p.locationId, zone->offsetAt(start),
                                zone->offsetAt(end)});
                    }
                }
            }
        }
        std::sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
            return std::tie(a.start, a.doctor) < std::tie(b.start, b.doctor);
        });
        slots.erase(
            std::unique(slots.begin(), slots.end(),
                [](const Slot& a, const Slot& b) { return a.start == b.start && a.doctor == b.doctor; }),
            slots.end());
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
        for (const auto& slot : slots) {
            auto o = clinic::makeObject();
            o->set("start", formatWithOffset(slot.start, slot.startOffset));
            o->set("end", formatWithOffset(slot.end, slot.endOffset));
            o->set("doctor_id", slot.doctor);
            o->set("location_id", slot.location);
            items->add(o);
        }
        auto out = clinic::makeObject();
        out->set("items", items);
        return Response::json(out);
    }
};

} // namespace scheduling

CLINIC_PLUGIN(scheduling::SchedulingPlugin)
