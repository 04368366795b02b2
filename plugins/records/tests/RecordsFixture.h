#pragma once

// The records plugin through the real clinicd. One daemon serves the whole
// suite (accounts cost a scrypt hash each); every test makes its own
// patients, so the tests do not depend on each other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

inline const std::string kPng
    = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0", 25) + "pixels";
inline const std::string kElf = std::string("\x7F"
                                            "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
                                    16)
    + "machine code";
// A small limit keeps the test's uploads small.
inline const std::size_t kMaxDocument = 8 * 1024;

struct World {
    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<HttpClient> client;
    std::map<std::string, Account> as; ///< by role
    std::int64_t ownPatient = 0; ///< the patient account's record
    std::int64_t otherPatient = 0;
};

inline void setUpAccounts(World& w);

inline World& world()
{
    static World w;
    if (w.daemon)
        return w;
    Daemon::Options o;
    o.config["plugins.load"] = "records";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["auth.registration"] = "true";
    o.config["records.max_document_bytes"] = std::to_string(kMaxDocument);
    o.config["records.templates_dir"] = sourceDir() + "/data/templates";
    auto daemon = std::make_unique<Daemon>(o);
    // A daemon that cannot start the plugin says why in its log.
    CPPUNIT_ASSERT_MESSAGE(daemon->log(), daemon->log().find("started plugin records") != std::string::npos);
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

inline void setUpAccounts(World& w)
{
    auto& c = *w.client;
    w.as["admin"] = firstAdmin(*w.daemon, c);
    auto make = [&](const std::string& body) {
        auto r = c.post("/api/v1/patients", body, bearer(w.as["admin"].accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        return r.json()->getValue<Poco::Int64>("id");
    };
    w.ownPatient
        = make(R"({"first_name":"Own","last_name":"Patient","birth_date":"1980-01-01","sex":"female",)"
               R"("phone":"+40 700 000 001","force":true})");
    w.otherPatient
        = make(R"({"first_name":"Other","last_name":"Patient","birth_date":"1981-01-01","sex":"male",)"
               R"("phone":"+40 700 000 002","force":true})");
    for (const std::string role : {"doctor", "nurse", "receptionist", "patient"})
        w.as[role] = createAndSignIn(c, w.as["admin"], "records." + role, role,
            role == "patient"      ? "\"patient_id\":" + std::to_string(w.ownPatient)
                : role == "doctor" ? "\"doctor_id\":7"
                                   : "");
}

inline HttpClient& client()
{
    return *world().client;
}
inline std::map<std::string, std::string> as(const std::string& role)
{
    return bearer(world().as[role].accessToken);
}

inline std::string sql(const std::string& statement)
{
    return sqlOutput(*world().daemon, statement);
}

inline long count(const std::string& table, const std::string& where = "1=1")
{
    return countRows(*world().daemon, table, where);
}

inline long audited(const std::string& action, std::int64_t patientId, const std::string& role = "")
{
    return count("audit_log",
        "action = '" + action + "' AND patient_id = " + std::to_string(patientId)
            + (role.empty() ? "" : " AND actor_role = '" + role + "'"));
}

inline std::string path(std::int64_t id, const std::string& rest = "")
{
    return "/api/v1/patients/" + std::to_string(id) + rest;
}

/// A fresh patient with a unique name, created by the admin.
inline std::int64_t newPatient(const std::string& last, const std::string& extra = "")
{
    auto r = client().post("/api/v1/patients",
        R"({"first_name":"Ana","last_name":")" + last
            + R"(","birth_date":"1990-05-17","sex":"female",)"
              R"("phone":"0721 555 123","email":"ana@example.ro","language":"ro","allergies":["penicillin"])"
            + extra + "}",
        as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

inline Poco::JSON::Object::Ptr invalidFields(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

inline std::string names(const HttpResult& r)
{
    std::string out;
    auto items = r.json()->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        out += items->getObject(static_cast<unsigned>(i))->getValue<std::string>("last_name") + ",";
    return out;
}

inline const std::string kVitals
    = R"({"taken_at":"2026-01-10T09:30:00+02:00","systolic":120,"diastolic":80,"pulse":70,)"
      R"("temperature_c":36.6,"weight_kg":70.5,"height_cm":172,"spo2":98})";
inline const std::string kLab
    = R"({"test":"HbA1c","value":6.1,"unit":"%","reference_range":"4.0-5.6","flag":"high",)"
      R"("taken_at":"2026-01-10T08:00:00Z"})";
inline const std::string kEncounter = R"({"doctor_id":7,"summary":"Sore throat","notes":"three days",)"
                                      R"("diagnoses":[{"code":"J06.9","system":"ICD-10","text":"URTI"}]})";
