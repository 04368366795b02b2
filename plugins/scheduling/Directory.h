#pragma once

// The clinic's directory as the scheduling plugin's parts share it: weekly
// periods in local wall-clock minutes, locations, services and doctors, and
// reading them from the scheduling_* tables. Plain rows, no HTTP.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/Nullable.h>
#include <Poco/Tuple.h>

#include "TimeZone.h"
#include "clinic/Http.h"
#include "clinic/Json.h"

namespace scheduling {

/// A weekly period: ISO weekday, local minutes [startMin, endMin), and the
/// location it is worked at (0 for a location's own opening hours).
struct Period {
    int weekday = 0;
    int startMin = 0;
    int endMin = 0;
    std::int64_t locationId = 0;
};

/// Minutes as "HH:MM".
std::string hhmm(int minutes);
/// "HH:MM", 00:00 .. 24:00, as minutes; -1 if not.
int parseHhmm(const std::string& t);
/// A JSON array of {"weekday","start","end"[,"location_id"]}; problems go to
/// fail(field, reason) with field like "hours[2].start".
std::vector<Period> readPeriods(const Poco::Dynamic::Var& value, const std::string& field, bool withLocation,
    const std::function<void(const std::string&, const std::string&)>& fail);
Poco::JSON::Array::Ptr periodsJson(const std::vector<Period>& periods, bool withLocation);
std::vector<Period> periodsFromText(const std::string& text);
/// A positive integer id from the query string; a bad one is named in errors.
std::optional<Poco::Int64> queryId(
    const clinic::Request& req, const std::string& name, std::map<std::string, std::string>& errors);

// Rows in column order.
using LocationRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, std::string, std::string,
    std::string, std::string>;
inline constexpr const char* kLocationColumns
    = "id, name, address, city, county, timezone, phone, opening_hours";
using ServiceRow = Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64, Poco::Int64, std::string,
    Poco::Nullable<Poco::Int64>>;
inline constexpr const char* kServiceColumns
    = "id, name, department, duration_min, price_minor, currency, department_id";
using DoctorRow = Poco::Tuple<Poco::Int64, std::string, std::string, Poco::Int64, Poco::Nullable<Poco::Int64>,
    Poco::Nullable<Poco::Int64>>;
inline constexpr const char* kDoctorColumns
    = "d.id, d.name, d.specialty, d.location_id, d.user_id, d.department_id";

struct Location {
    Poco::Int64 id = 0;
    std::string name, address, city, county, timezone, phone;
    std::vector<Period> openingHours;
    /// Days the location is closed: day number and name.
    std::vector<std::pair<std::int64_t, std::string>> holidays;

    static Location from(const LocationRow& r)
    {
        Location l;
        l.id = r.get<0>();
        l.name = r.get<1>();
        l.address = r.get<2>();
        l.city = r.get<3>();
        l.county = r.get<4>();
        l.timezone = r.get<5>();
        l.phone = r.get<6>();
        l.openingHours = periodsFromText(r.get<7>());
        return l;
    }
    Poco::JSON::Object::Ptr toJson() const
    {
        auto o = clinic::makeObject();
        o->set("id", id);
        o->set("name", name);
        o->set("address", address);
        o->set("city", city);
        o->set("county", county);
        o->set("timezone", timezone);
        if (phone.empty())
            o->set("phone", Poco::Dynamic::Var());
        else
            o->set("phone", phone);
        o->set("opening_hours", periodsJson(openingHours, false));
        Poco::JSON::Array::Ptr days = new Poco::JSON::Array;
        for (const auto& [day, label] : holidays) {
            int y = 0, m = 0, d = 0;
            civilFromDays(day, y, m, d);
            char buf[16];
            std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
            auto h = clinic::makeObject();
            h->set("date", std::string(buf));
            h->set("name", label);
            days->add(h);
        }
        o->set("holidays", days);
        return o;
    }
};

/// Service::departmentId while a department is known only by its name.
inline constexpr Poco::Int64 kDepartmentByName = -1;

struct Service {
    Poco::Int64 id = 0;
    /// department is the name of the department departmentId (kept with
    /// it, so terminals reading the text field see the resource's name).
    std::string name, department;
    Poco::Int64 durationMin = 0, priceMinor = 0;
    std::string currency;
    Poco::Int64 departmentId = 0; ///< 0: none

    static Service from(const ServiceRow& r)
    {
        return {r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>(), r.get<4>(), r.get<5>(),
            r.get<6>().isNull() ? 0 : r.get<6>().value()};
    }
    Poco::JSON::Object::Ptr toJson() const
    {
        auto o = clinic::makeObject();
        o->set("id", id);
        o->set("name", name);
        o->set("department", department);
        o->set("duration_min", durationMin);
        o->set("price_minor", priceMinor);
        o->set("currency", currency);
        o->set("department_id", departmentId ? Poco::Dynamic::Var(departmentId) : Poco::Dynamic::Var());
        return o;
    }
};

struct Doctor {
    Poco::Int64 id = 0;
    std::string name, specialty;
    Poco::Int64 locationId = 0;
    std::optional<Poco::Int64> userId;
    std::vector<Poco::Int64> serviceIds;
    Poco::Int64 departmentId = 0; ///< 0: none

    static Doctor from(const DoctorRow& r)
    {
        Doctor d;
        d.id = r.get<0>();
        d.name = r.get<1>();
        d.specialty = r.get<2>();
        d.locationId = r.get<3>();
        if (!r.get<4>().isNull())
            d.userId = r.get<4>().value();
        d.departmentId = r.get<5>().isNull() ? 0 : r.get<5>().value();
        return d;
    }
    Poco::JSON::Object::Ptr toJson() const
    {
        auto o = clinic::makeObject();
        o->set("id", id);
        o->set("name", name);
        o->set("specialty", specialty);
        o->set("location_id", locationId);
        Poco::JSON::Array::Ptr services = new Poco::JSON::Array;
        for (auto s : serviceIds)
            services->add(s);
        o->set("service_ids", services);
        if (userId)
            o->set("user_id", *userId);
        else
            o->set("user_id", Poco::Dynamic::Var());
        o->set("department_id", departmentId ? Poco::Dynamic::Var(departmentId) : Poco::Dynamic::Var());
        return o;
    }
};

void loadHolidays(Poco::Data::Session& s, Location& l);
std::optional<Location> findLocation(Poco::Data::Session& s, Poco::Int64 id);
std::optional<Service> findService(Poco::Data::Session& s, Poco::Int64 id);
std::vector<Poco::Int64> servicesOf(Poco::Data::Session& s, Poco::Int64 doctorId);
/// The doctor with their service ids.
std::optional<Doctor> findDoctor(Poco::Data::Session& s, Poco::Int64 id);
/// The doctor's weekly working hours, by weekday and start.
std::vector<Period> hoursOf(Poco::Data::Session& s, Poco::Int64 doctorId);

class TimeZone;

/// Whether startUtc is one of the starts availability offers in this
/// working period on localDay (days since the epoch, local): the slots run
/// back to back from the period's start, slotMinutes each, on local
/// wall-clock time. A patient books only these, so one booking at an odd
/// time cannot break two offered slots.
bool offeredStart(std::int64_t startUtc, const TimeZone& zone, std::int64_t localDay, const Period& period,
    int slotMinutes);

/// Whether an RFC 3339 text has a fraction of a second, which parseInstant
/// would drop: a start is whole seconds, refused otherwise rather than cut.
bool hasFractionalSeconds(const std::string& text);

} // namespace scheduling
