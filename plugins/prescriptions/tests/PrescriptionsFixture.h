#pragma once

// The prescriptions plugin through the real clinicd, with the records and
// scheduling plugins and the three example rule scripts of lua/examples
// loaded. One daemon serves the suite; its clock starts at a fixed instant so
// a second daemon on the same database can see the same prescriptions later.
// Every test makes its own patients, so the tests do not depend on each
// other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

inline const std::string kClockStart = "2027-03-01T09:00:00Z";

struct World {
    std::unique_ptr<TempDir> rules;
    std::unique_ptr<ClinicFixture> clinic;
    std::int64_t doctor = 0; ///< the doctor account's doctor record
    std::int64_t location = 0;
    std::int64_t service = 0;
    std::int64_t ownPatient = 0; ///< the patient account's record
    std::int64_t otherPatient = 0;
};

inline ProcessResult clinicctl(const Daemon& d, const std::vector<std::string>& args)
{
    std::vector<std::string> all = {"--config=" + d.configFile()};
    all.insert(all.end(), args.begin(), args.end());
    return runProcess(binary("clinicctl"), all);
}

inline World& world()
{
    static World w;
    if (w.clinic)
        return w;
    w.rules = std::make_unique<TempDir>();
    // Loaded in name order, each wrapping the one before.
    writeFile(w.rules->file("50-penicillin_allergy.lua"),
        readFile(sourceDir() + "/lua/examples/penicillin_allergy.lua"));
    writeFile(w.rules->file("51-duplicate_therapy.lua"),
        readFile(sourceDir() + "/lua/examples/duplicate_therapy.lua"));
    writeFile(w.rules->file("52-child_dose.lua"), readFile(sourceDir() + "/lua/examples/child_dose.lua"));
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,prescriptions,metrics");
    o.daemon.config["clock.start"] = kClockStart;
    o.daemon.config["rules.dir"] = w.rules->path();
    o.accountPrefix = "rx";
    o.doctorId = 1;
    o.patientJson = R"({"first_name":"Own","last_name":"Patient","birth_date":"1980-01-01","sex":"female",)"
                    R"("phone":"+40 700 000 001","force":true})";
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.location = w.clinic->newLocation();
    w.service = w.clinic->newService(30);
    w.doctor = w.clinic->newDoctor(w.location, {w.service}, "family medicine", "Dr. Elena Ionescu");
    CPPUNIT_ASSERT_EQUAL(std::int64_t(1), w.doctor);
    w.ownPatient = w.clinic->patient();
    w.otherPatient
        = w.clinic->newPatient(R"({"first_name":"Other","last_name":"Patient","birth_date":"1981-01-01",)"
                               R"("sex":"male","phone":"+40 700 000 002","force":true})");
    auto r = clinicctl(w.clinic->daemon(), {"import-drugs", sourceDir() + "/data/demo/drugs.csv"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.exitCode);
    return w;
}

inline HttpClient& client()
{
    return world().clinic->client();
}
inline std::map<std::string, std::string> as(const std::string& role)
{
    return world().clinic->as(role);
}
inline long count(const std::string& table, const std::string& where = "1=1")
{
    return world().clinic->count(table, where);
}
inline std::string sql(const std::string& statement)
{
    return world().clinic->sql(statement);
}

/// The id of the demo catalogue entry with this code.
inline std::int64_t drug(const std::string& code)
{
    return std::stoll(sql("SELECT id FROM prescriptions_drugs WHERE code = '" + code + "'"));
}

/// A patient of this age (at the fixture's clock) with these allergies, created by the admin.
inline std::int64_t newPatient(
    const std::string& last, const std::string& birthDate = "1985-06-15", const std::string& allergies = "[]")
{
    return world().clinic->newPatient(R"({"first_name":"Rx","last_name":")" + last + R"(","birth_date":")"
        + birthDate + R"(","sex":"female","phone":"+40 700 100 100","language":"en","allergies":)" + allergies
        + R"(,"force":true})");
}

/// One item of the catalogue: {"drug_id": id, ...}.
inline std::string item(std::int64_t drugId, const std::string& extra = "")
{
    return R"({"drug_id":)" + std::to_string(drugId)
        + R"(,"dose":"500 mg","frequency":"3 times a day","duration_days":7,"quantity":21,"refills":0)"
        + extra + "}";
}

inline std::string prescriptionBody(
    std::int64_t patient, const std::string& items, const std::string& extra = "")
{
    return R"({"patient_id":)" + std::to_string(patient) + R"(,"items":[)" + items + "]" + extra + "}";
}

inline HttpResult prescribe(std::int64_t patient, const std::string& items, const std::string& extra = "")
{
    try {
        return client().post("/api/v1/prescriptions", prescriptionBody(patient, items, extra), as("doctor"));
    } catch (const std::exception&) {
        // A daemon that went away says why in its log.
        CPPUNIT_FAIL("no answer from clinicd:\n" + logTail(world().clinic->daemon()));
    }
}

inline std::int64_t issued(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

inline std::string path(std::int64_t id, const std::string& rest = "")
{
    return "/api/v1/prescriptions/" + std::to_string(id) + rest;
}

inline long audited(const std::string& action, std::int64_t patientId, const std::string& outcome = "ok")
{
    return count("audit_log",
        "action = '" + action + "' AND patient_id = " + std::to_string(patientId) + " AND outcome = '"
            + outcome + "'");
}

/// The value of clinicd_prescriptions_total{outcome=...} on /metrics.
inline double prescriptionsTotal(const std::string& outcome)
{
    auto m = client().get("/metrics");
    const std::string key = "clinicd_prescriptions_total{outcome=\"" + outcome + "\"} ";
    auto at = m.body.find(key);
    CPPUNIT_ASSERT_MESSAGE(m.body.substr(0, 500), at != std::string::npos);
    return std::stod(m.body.substr(at + key.size()));
}
