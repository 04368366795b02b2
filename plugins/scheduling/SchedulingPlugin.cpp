// The plugin itself: its routes, the appointment book it starts, and the demo
// clinic loader. The handlers live in a file per part of the directory.

#include "SchedulingPlugin.h"

#include "AppointmentLookup.h"

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include "clinic/Access.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

const std::set<std::string> kEveryone = {"admin", "doctor", "nurse", "receptionist", "patient"};
const std::set<std::string> kStaff = {"admin", "doctor", "nurse", "receptionist"};
const std::set<std::string> kAdmin = {"admin"};
const std::set<std::string> kFrontDesk = {"admin", "receptionist"};

std::string readFileText(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

void SchedulingPlugin::start(clinic::Host& host)
{
    _host = &host;
    auto add = [&](const std::string& method, const std::string& pattern, std::set<std::string> roles,
                   Response (SchedulingPlugin::*fn)(Request&), const std::string& summary) {
        host.router().add({method, pattern, clinic::Access::only(std::move(roles)),
            [this, fn](Request& req) { return (this->*fn)(req); }, summary});
    };
    add("GET", "/api/v1/locations", kEveryone, &SchedulingPlugin::listLocations, "scheduling: locations");
    add("POST", "/api/v1/locations", kAdmin, &SchedulingPlugin::createLocation, "scheduling: add a location");
    add("GET", "/api/v1/locations/{id}", kEveryone, &SchedulingPlugin::getLocation,
        "scheduling: one location");
    add("PATCH", "/api/v1/locations/{id}", kAdmin, &SchedulingPlugin::patchLocation,
        "scheduling: change a location");
    add("GET", "/api/v1/services", kEveryone, &SchedulingPlugin::listServices, "scheduling: services");
    add("POST", "/api/v1/services", kAdmin, &SchedulingPlugin::createService, "scheduling: add a service");
    add("GET", "/api/v1/services/{id}", kEveryone, &SchedulingPlugin::getService, "scheduling: one service");
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

std::string SchedulingPlugin::loadDemoData(clinic::Host& host, const std::string& demoDir)
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
            tx.session() << "SELECT id FROM " + std::string(table) + " WHERE demo_key = ?", use(k), into(ids),
                now;
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

std::int64_t SchedulingPlugin::nowSeconds() const
{
    return clinic::nowSeconds(_host->clock());
}

bool SchedulingPlugin::exists(Poco::Data::Session& session, const std::string& table, Poco::Int64 id)
{
    Poco::Int64 n = 0;
    session << "SELECT COUNT(*) FROM " + table + " WHERE id = ?", use(id), into(n), now;
    return n > 0;
}

} // namespace scheduling

CLINIC_PLUGIN(scheduling::SchedulingPlugin)
