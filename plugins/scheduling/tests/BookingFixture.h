#pragma once

// Booking through the real clinicd: the happy path and what it writes (audit,
// jobs, occupancy), collisions, the lifecycle, rescheduling, recurrence, the
// waitlist, who may book for whom, bad input answered 4xx with nothing
// written, and bookings across DST changes and in a half-hour zone.
//
// One daemon serves the suite; its clock starts on 2027-01-01 (a Friday) so
// the DST days of 2027 lie ahead. Its rules.dir is an empty folder: the
// default rules' notice and cancellation policy are the calendar/rules
// suite's subject, not this one's. Every test makes its own location,
// service and doctor, so the tests do not depend on each other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

struct World {
    std::unique_ptr<TempDir> rules; ///< an empty rules.dir
    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<HttpClient> client;
    std::map<std::string, Account> as; ///< by role; "patient2" is a second patient's account
    std::int64_t patient = 0; ///< the "patient" account's patient
    std::int64_t patient2 = 0; ///< the "patient2" account's patient
};

inline std::int64_t newPatient(HttpClient& c, const Account& admin, const std::string& first)
{
    auto r = c.post("/api/v1/patients",
        R"({"first_name":")" + first
            + R"(","last_name":"Booking","birth_date":"1980-01-01","sex":"female",)"
              R"("phone":"+40 700 000 001","force":true})",
        bearer(admin.accessToken));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

inline void setUpAccounts(World& w)
{
    auto& c = *w.client;
    w.as["admin"] = firstAdmin(*w.daemon, c);
    w.patient = newPatient(c, w.as["admin"], "Ana");
    w.patient2 = newPatient(c, w.as["admin"], "Bogdan");
    for (const std::string role : {"nurse", "receptionist", "patient"})
        w.as[role] = createAndSignIn(c, w.as["admin"], "book." + role, role,
            role == "patient" ? "\"patient_id\":" + std::to_string(w.patient) : "");
    w.as["patient2"] = createAndSignIn(
        c, w.as["admin"], "book.patient2", "patient", "\"patient_id\":" + std::to_string(w.patient2));
}

inline World& world()
{
    static World w;
    if (w.daemon)
        return w;
    w.rules = std::make_unique<TempDir>();
    Daemon::Options o;
    o.config["plugins.load"] = "records,scheduling";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.config["rules.dir"] = w.rules->path();
    o.config["http.max_body_bytes"] = "65536";
    auto daemon = std::make_unique<Daemon>(o);
    CPPUNIT_ASSERT_MESSAGE(
        daemon->log(), daemon->log().find("started plugin scheduling") != std::string::npos);
    w.daemon = std::move(daemon);
    w.client = std::make_unique<HttpClient>("127.0.0.1", w.daemon->port());
    try {
        setUpAccounts(w);
    } catch (const std::exception& e) {
        const std::string log = w.daemon->log();
        w.daemon.reset();
        throw std::runtime_error(
            std::string(e.what()) + "\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    }
    return w;
}

inline HttpClient& client()
{
    return *world().client;
}

inline std::map<std::string, std::string> as(const std::string& role)
{
    return bearer(world().as[role].accessToken);
}

inline std::string str(std::int64_t n)
{
    return std::to_string(n);
}

inline std::string sql(const Daemon& daemon, const std::string& statement)
{
    return sqlOutput(daemon, statement);
}

inline std::string sql(const std::string& statement)
{
    return sqlOutput(*world().daemon, statement);
}

inline long count(const std::string& table, const std::string& where = "1=1")
{
    return countRows(*world().daemon, table, where);
}

inline Poco::JSON::Object::Ptr createdJson(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json();
}

inline std::int64_t created(const HttpResult& r)
{
    return createdJson(r)->getValue<Poco::Int64>("id");
}

/// An error envelope with this status and code.
inline void refused(const HttpResult& r, int status, const std::string& code, const std::string& what = "")
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, status, r.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " -> " + r.body, code, r.errorCode());
}

inline Poco::JSON::Object::Ptr invalidFields(const HttpResult& r, const std::string& what = "")
{
    refused(r, 422, "VALIDATION_FAILED", what);
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

/// A JSON string literal.
inline std::string quoted(const std::string& text)
{
    Poco::JSON::Object o;
    o.set("v", text);
    std::ostringstream out;
    o.stringify(out);
    const std::string s = out.str(); // {"v":"..."}
    return s.substr(5, s.size() - 6);
}

// ---- the directory -----------------------------------------------------------

struct Clinic {
    std::int64_t location = 0, service = 0, doctor = 0;
};

inline std::int64_t newLocation(const std::string& zone)
{
    return created(client().post("/api/v1/locations",
        R"({"name":"Clinica )" + zone
            + R"(","address":"Strada 1","city":"București","county":"București","timezone":")" + zone
            + R"(","opening_hours":[{"weekday":1,"start":"08:00","end":"20:00"}]})",
        as("admin")));
}

inline std::int64_t newService(int minutes)
{
    return created(client().post("/api/v1/services",
        R"({"name":"Consult","department":"cardiology","duration_min":)" + str(minutes)
            + R"(,"price_minor":35000,"currency":"RON"})",
        as("admin")));
}

inline std::int64_t newDoctor(std::int64_t location, const std::vector<std::int64_t>& services)
{
    std::string ids;
    for (auto s : services)
        ids += (ids.empty() ? "" : ",") + str(s);
    return created(client().post("/api/v1/doctors",
        R"({"name":"Dr. Booking","specialty":"cardiology","location_id":)" + str(location)
            + R"(,"service_ids":[)" + ids + "]}",
        as("admin")));
}

inline void putHours(std::int64_t doctor, std::int64_t location, const std::vector<int>& weekdays,
    const std::string& start, const std::string& end)
{
    std::string body;
    for (int d : weekdays)
        body += std::string(body.empty() ? "[" : ",") + R"({"weekday":)" + str(d) + R"(,"start":")" + start
            + R"(","end":")" + end + R"(","location_id":)" + str(location) + "}";
    auto r = client().request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours", body + "]", as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
}

/// A Bucharest location, a 30-minute service and a doctor working
/// Monday to Friday 09:00-17:00 (or the given days and hours).
inline Clinic newClinic(const std::string& zone = "Europe/Bucharest", int minutes = 30,
    const std::vector<int>& weekdays = {1, 2, 3, 4, 5}, const std::string& start = "09:00",
    const std::string& end = "17:00")
{
    Clinic k;
    k.location = newLocation(zone);
    k.service = newService(minutes);
    k.doctor = newDoctor(k.location, {k.service});
    putHours(k.doctor, k.location, weekdays, start, end);
    return k;
}

// ---- booking -------------------------------------------------------------------

inline std::string bookingBody(std::int64_t patient, std::int64_t doctor, std::int64_t service,
    const std::string& start, const std::string& extra = "")
{
    return R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
        + str(service) + R"(,"start":")" + start + "\"" + extra + "}";
}

inline HttpResult book(const std::string& role, const std::string& body)
{
    return client().post("/api/v1/appointments", body, as(role));
}

inline HttpResult book(
    const Clinic& k, std::int64_t patient, const std::string& start, const std::string& extra = "")
{
    return book("receptionist", bookingBody(patient, k.doctor, k.service, start, extra));
}

inline std::int64_t booked(const Clinic& k, std::int64_t patient, const std::string& start)
{
    return created(book(k, patient, start));
}

inline std::string appt(std::int64_t id, const std::string& action = "")
{
    return "/api/v1/appointments/" + str(id) + (action.empty() ? "" : "/" + action);
}

inline Poco::JSON::Object::Ptr fetch(std::int64_t id, const std::string& role = "receptionist")
{
    auto r = client().get(appt(id), as(role));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json();
}

inline std::string statusOf(std::int64_t id)
{
    return fetch(id)->getValue<std::string>("status");
}

inline Poco::Int64 sequenceOf(std::int64_t id)
{
    return fetch(id)->getValue<Poco::Int64>("sequence");
}

inline std::string startOf(std::int64_t id)
{
    return fetch(id)->getValue<std::string>("start");
}

inline HttpResult act(std::int64_t id, const std::string& action, const std::string& role = "receptionist",
    const std::string& body = "")
{
    return client().post(appt(id, action), body, as(role));
}

inline long occupancy(std::int64_t appointment)
{
    return count("scheduling_occupancy", "appointment_id = " + str(appointment));
}

// ---- availability ------------------------------------------------------------

inline std::vector<std::string> slots(const Clinic& k, const std::string& day)
{
    auto r = client().get("/api/v1/availability?doctor_id=" + str(k.doctor) + "&service_id=" + str(k.service)
            + "&from=" + day + "&to=" + day,
        as("patient"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto items = r.json()->getArray("items");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("start"));
    return out;
}

inline bool offered(const Clinic& k, const std::string& start)
{
    auto s = slots(k, start.substr(0, 10));
    return std::find(s.begin(), s.end(), start) != s.end();
}

inline std::vector<std::string> startsOf(const Poco::JSON::Array::Ptr& items)
{
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i)
        out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("start"));
    return out;
}

inline std::string r2s(const Poco::JSON::Object::Ptr& o)
{
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

inline std::string joined(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : " ") + s;
    return out;
}
