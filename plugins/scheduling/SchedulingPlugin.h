#pragma once

// The clinic's directory and calendars: locations (with an IANA time zone and
// opening hours), services, doctors, weekly working hours in local wall-clock
// time, time off, and the free slots they leave (availability), correct
// across daylight-saving changes. The directory is not patient data, so it is
// not audited; writes are for administrators (time off also for reception).
//
// Tables are prefixed scheduling_; instants are BIGINT seconds UTC. Booking
// will add an occupancy table keyed by (doctor_id, time cell) next to these.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "Appointments.h"
#include "Directory.h"
#include "SchedulingRules.h"
#include "TimeZone.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Migration.h"
#include "clinic/Plugin.h"
#include "clinic/scheduling/Locations.h"

namespace scheduling {

using clinic::HttpError;
using clinic::Request;
using clinic::Response;

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
            "/api/v1/reports/monthly", "/api/v1/departments"};
    }

    std::vector<clinic::Migration> migrations() const override;
    void declareRuleHooks(clinic::RuleEngine& rules) override { SchedulingRules::declare(rules); }
    void start(clinic::Host& host) override;
    std::string loadDemoData(clinic::Host& host, const std::string& demoDir) override;

private:
    clinic::Host* _host = nullptr;
    std::unique_ptr<AppointmentBook> _book;
    std::int64_t nowSeconds() const;

    // ---- storage ------------------------------------------------------------

    bool exists(Poco::Data::Session& session, const std::string& table, Poco::Int64 id);
    void replaceHolidays(clinic::Transaction& tx, const Location& l);
    void insertLocation(clinic::Transaction& tx, Location& l, const std::string& demoKey = "");
    void insertService(clinic::Transaction& tx, Service& s, const std::string& demoKey = "");
    void linkServices(clinic::Transaction& tx, Doctor& d);
    void insertDoctor(clinic::Transaction& tx, Doctor& d, const std::string& demoKey = "");
    void replaceHours(clinic::Transaction& tx, Poco::Int64 doctorId, const std::vector<Period>& periods);

    // ---- locations ------------------------------------------------------------

    void readLocation(
        clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Location& l, bool partial);

    /// [{"date": "YYYY-MM-DD", "name": "..."}]: days the location is closed.
    static void readHolidays(clinic::FieldReader& in, const Poco::Dynamic::Var& value, Location& l);
    Response listLocations(Request& req);
    Response createLocation(Request& req);
    Response getLocation(Request& req);
    Response patchLocation(Request& req);

    // ---- services -------------------------------------------------------------

    void readService(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Service& s, bool partial);
    /// Resolves a service's department in tx: an id must exist (its name
    /// becomes the text field); a name alone (the older field) means the
    /// first department of that name, made without a location if none.
    void settleDepartment(clinic::Transaction& tx, clinic::FieldReader& in, Service& s);
    Response listServices(Request& req);
    Response createService(Request& req);
    Response getService(Request& req);
    Response patchService(Request& req);

    // ---- departments (Departments.cpp) ------------------------------------------

    /// The first department of this name, or a new one without a location.
    Poco::Int64 departmentNamed(clinic::Transaction& tx, const std::string& name);
    Response listDepartments(Request& req);
    Response createDepartment(Request& req);
    Response getDepartment(Request& req);
    Response patchDepartment(Request& req);
    Response deleteDepartment(Request& req);

    // ---- doctors --------------------------------------------------------------

    void readDoctor(clinic::FieldReader& in, const Poco::JSON::Object::Ptr& body, Doctor& d, bool partial,
        Poco::Data::Session& s);
    Response listDoctors(Request& req);
    Response createDoctor(Request& req);
    Response getDoctor(Request& req);
    Response patchDoctor(Request& req);
    /// Ratings of reviews.ratings.v1 on each doctor JSON, when it is published.
    void addRatings(const Poco::JSON::Array::Ptr& doctors);
    /// Accounts holding the doctor role at the location by a grant.
    std::vector<Poco::Int64> grantedDoctorAccounts(std::int64_t locationId);
    Response doctorReviews(Request& req);

    // ---- working hours and time off ------------------------------------------

    Response putHours(Request& req);

    /// The zone of a doctor's main location, for showing instants.
    std::shared_ptr<const TimeZone> zoneOfDoctor(Poco::Data::Session& s, Poco::Int64 doctorId);
    static std::string instant(const std::shared_ptr<const TimeZone>& zone, std::int64_t utc);
    Poco::JSON::Object::Ptr timeOffJson(const std::shared_ptr<const TimeZone>& zone, Poco::Int64 id,
        Poco::Int64 doctorId, Poco::Int64 start, Poco::Int64 end, const std::string& reason);
    Response listTimeOff(Request& req);
    Response createTimeOff(Request& req);
    Response deleteTimeOff(Request& req);

    // ---- availability -------------------------------------------------------

    Response availability(Request& req);
};

} // namespace scheduling
