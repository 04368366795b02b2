// The plugin itself: its routes, the appointment book it starts, and the demo
// clinic loader. The handlers live in a file per part of the directory.

#include "SchedulingPlugin.h"

#include "AppointmentLookup.h"
#include "ExchangeServices.h"
#include "LocationDirectory.h"

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

#include "SchedulingSchemas.h"
#include "clinic/Access.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/Time.h"
#include "clinic/reviews/Ratings.h"
#include "clinic/scheduling/Locations.h"

using namespace Poco::Data::Keywords;

namespace scheduling {

namespace {

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
    // What the live stream may show of each event: ids, instants and
    // statuses, to every staff role and the patient concerned (no notes, no
    // fee). The README's Events table lists the full payloads.
    const std::vector<std::string> appointment = {"appointment_id", "patient_id", "doctor_id", "service_id",
        "location_id", "start_utc", "end_utc", "status", "sequence", "series_id"};
    auto withFields = [&appointment](std::vector<std::string> more) {
        more.insert(more.begin(), appointment.begin(), appointment.end());
        return clinic::EventVisibility {clinic::EventAudience::Schedule, std::move(more)};
    };
    host.events().declare("appointment.booked", withFields({}));
    host.events().declare("appointment.status_changed", withFields({"from"}));
    host.events().declare("appointment.cancelled", withFields({"from"}));
    host.events().declare("appointment.rescheduled", withFields({"old_start_utc", "old_end_utc"}));
    host.events().declare("waitlist.offered",
        clinic::EventVisibility {clinic::EventAudience::Schedule,
            {"waitlist_id", "patient_id", "doctor_id", "service_id", "start_utc", "end_utc"}});
    namespace roles = clinic::roles;
    using clinic::Contract;
    using clinic::listOf;
    using clinic::Schema;
    clinic::RouteTable<SchedulingPlugin> routes(host.router(), *this);
    routes.add("GET", "/api/v1/locations", roles::everyone, &SchedulingPlugin::listLocations,
        "scheduling: locations", Contract().page().returns(200, "locations", listOf(schemas::location())));
    routes.add("POST", "/api/v1/locations", roles::admin, &SchedulingPlugin::createLocation,
        "scheduling: add a location",
        Contract().accepts(schemas::locationInput(true)).returns(201, "the location", schemas::location()));
    routes.add("GET", "/api/v1/locations/{id}", roles::everyone, &SchedulingPlugin::getLocation,
        "scheduling: one location", Contract().returns(200, "the location", schemas::location()));
    routes.add("PATCH", "/api/v1/locations/{id}", roles::admin, &SchedulingPlugin::patchLocation,
        "scheduling: change a location",
        Contract()
            .accepts(schemas::locationInput(false))
            .returns(200, "the location as changed", schemas::location()));
    routes.add("GET", "/api/v1/services", roles::everyone, &SchedulingPlugin::listServices,
        "scheduling: services", Contract().page().returns(200, "services", listOf(schemas::service())));
    routes.add("POST", "/api/v1/services", roles::admin, &SchedulingPlugin::createService,
        "scheduling: add a service",
        Contract().accepts(schemas::serviceInput(true)).returns(201, "the service", schemas::service()));
    routes.add("GET", "/api/v1/services/{id}", roles::everyone, &SchedulingPlugin::getService,
        "scheduling: one service", Contract().returns(200, "the service", schemas::service()));
    routes.add("PATCH", "/api/v1/services/{id}", roles::admin, &SchedulingPlugin::patchService,
        "scheduling: change a service",
        Contract()
            .accepts(schemas::serviceInput(false))
            .returns(200, "the service as changed", schemas::service()));
    routes.add("GET", "/api/v1/doctors", roles::everyone, &SchedulingPlugin::listDoctors,
        "scheduling: list or search doctors (?q=&specialty=&city=&county=&location_id=)",
        Contract()
            .param("q", Schema::string(0, 100), "part of the doctor's name")
            .param("specialty", Schema::string(), "exactly this specialty")
            .param("city", Schema::string(), "main location in this city")
            .param("county", Schema::string(), "main location in this county")
            .param("location_id", Schema::id(), "main location, or granted the doctor role there")
            .param("department_id", Schema::id(), "of this department")
            .page()
            .returns(200, "doctors", listOf(schemas::doctor())));
    routes.add("POST", "/api/v1/doctors", roles::admin, &SchedulingPlugin::createDoctor,
        "scheduling: add a doctor",
        Contract().accepts(schemas::doctorInput(true)).returns(201, "the doctor", schemas::doctor()));
    routes.add("GET", "/api/v1/doctors/{id}", roles::everyone, &SchedulingPlugin::getDoctor,
        "scheduling: one doctor with weekly hours",
        Contract().returns(200, "the doctor", schemas::doctorWithHours()));
    routes.add("PATCH", "/api/v1/doctors/{id}", roles::admin, &SchedulingPlugin::patchDoctor,
        "scheduling: change a doctor",
        Contract()
            .accepts(schemas::doctorInput(false))
            .returns(200, "the doctor as changed", schemas::doctor()));
    routes.add("PUT", "/api/v1/doctors/{id}/hours", roles::admin, &SchedulingPlugin::putHours,
        "scheduling: replace a doctor's weekly working hours",
        Contract().accepts(schemas::hoursInput()).returns(200, "the hours now", schemas::hours()));
    routes.add("GET", "/api/v1/doctors/{id}/reviews", roles::everyone, &SchedulingPlugin::doctorReviews,
        "scheduling: a doctor's reviews, from the reviews plugin (approved comments; pending to admin)",
        Contract().page().returns(200, "reviews and the doctor's rating",
            Schema(listOf(clinic::reviews::reviewSchema()))
                .required("rating_count", Schema::integer())
                .optional("rating_avg", Schema::number(1, 5))));
    routes.add("GET", "/api/v1/doctors/{id}/time-off", roles::staff, &SchedulingPlugin::listTimeOff,
        "scheduling: a doctor's time off",
        Contract().page().returns(200, "time off", listOf(schemas::timeOff())));
    routes.add("POST", "/api/v1/doctors/{id}/time-off", roles::frontDesk, &SchedulingPlugin::createTimeOff,
        "scheduling: add time off (leave, a break)",
        Contract().accepts(schemas::timeOffInput()).returns(201, "the time off", schemas::timeOff()));
    routes.add("DELETE", "/api/v1/doctors/{id}/time-off/{tid}", roles::frontDesk,
        &SchedulingPlugin::deleteTimeOff, "scheduling: remove time off",
        Contract().returnsNothing(204, "removed"));
    routes.add("GET", "/api/v1/availability", roles::everyone, &SchedulingPlugin::availability,
        "scheduling: free slots (?doctor_id= or ?specialty=&location_id=, service_id, from, to,"
        " patient_id)",
        Contract()
            .param("service_id", Schema::id(), "slots as long as this service", true)
            .param("from", Schema::date(), "first local date, inclusive", true)
            .param("to", Schema::date(), "last local date, inclusive; at most 62 days after from", true)
            .param("doctor_id", Schema::id(), "this doctor; else specialty or location_id")
            .param("specialty", Schema::string(), "every doctor of it who offers the service")
            .param("location_id", Schema::id(), "doctors of this location")
            .param("patient_id", Schema::id(), "slots as the rules shape them for this patient")
            .returns(200, "free slots, sorted by start", schemas::slots()));
    routes.add("GET", "/api/v1/departments", roles::everyone, &SchedulingPlugin::listDepartments,
        "scheduling: departments (?location_id=)",
        Contract()
            .param("location_id", Schema::id(), "departments of this location")
            .page()
            .returns(200, "departments", listOf(schemas::department())));
    routes.add("POST", "/api/v1/departments", roles::admin, &SchedulingPlugin::createDepartment,
        "scheduling: add a department",
        Contract()
            .accepts(schemas::departmentInput(true))
            .returns(201, "the department", schemas::department()));
    routes.add("GET", "/api/v1/departments/{id}", roles::everyone, &SchedulingPlugin::getDepartment,
        "scheduling: one department", Contract().returns(200, "the department", schemas::department()));
    routes.add("PATCH", "/api/v1/departments/{id}", roles::admin, &SchedulingPlugin::patchDepartment,
        "scheduling: change a department",
        Contract()
            .accepts(schemas::departmentInput(false))
            .returns(200, "the department as changed", schemas::department()));
    routes.add("DELETE", "/api/v1/departments/{id}", roles::admin, &SchedulingPlugin::deleteDepartment,
        "scheduling: remove a department no service or doctor belongs to (else 409)",
        Contract().returnsNothing(204, "removed"));
    _book = std::make_unique<AppointmentBook>(host);
    _book->start();
    host.services().publish<clinic::scheduling::AppointmentLookup>(
        clinic::scheduling::kAppointmentLookupService, makeAppointmentLookup(host.database()));
    host.services().publish<clinic::scheduling::DoctorDirectory>(
        clinic::scheduling::kDoctorDirectoryService, makeDoctorDirectory(host.database()));
    host.services().publish<clinic::DoctorAccounts>(clinic::kDoctorAccountsService, makeDoctorAccounts());
    publishExchangeServices(host, [this](Request& req) { return availability(req); });
    host.services().publish<clinic::scheduling::LocationDirectory>(
        clinic::scheduling::kLocationDirectoryService, makeLocationDirectory(host.database()));
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
                s.departmentId = departmentNamed(tx, s.department);
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
