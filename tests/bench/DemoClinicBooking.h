#pragma once

// The demo clinic, ready to book through the real clinicd: shared by the
// benchmarks that book appointments (booking_bench, http_slow_clients).
// Header-only, so each benchmark binary simply includes it. Failures throw
// std::runtime_error; the benchmark's main reports them.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "TestSupport.h"

namespace clinic::test::bench {

inline int envInt(const char* name, int fallback)
{
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

inline double secondsSince(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

/// The p-quantile (0..1) of values, 0 if there are none.
inline double percentile(const std::vector<double>& values, double p)
{
    if (values.empty())
        return 0.0;
    std::vector<double> v(values);
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

inline void check(bool ok, const std::string& what)
{
    if (!ok)
        throw std::runtime_error(what);
}

/// The sqlite3 CLI on a database file (the daemon may be running or not).
inline std::string sqlite(const std::string& file, const std::string& sql)
{
    auto r = runProcess("/usr/bin/sqlite3", {"-bail", file}, {}, sql + "\n", 900);
    if (r.exitCode != 0 || !r.err.empty())
        throw std::runtime_error("sqlite3 failed: " + r.err.substr(0, 2000) + "\nSQL: " + sql.substr(0, 500));
    while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r'))
        r.out.pop_back();
    return r.out;
}

inline long long scalar(const std::string& file, const std::string& sql)
{
    return std::stoll(sqlite(file, sql));
}

inline std::vector<std::vector<std::string>> rows(const std::string& file, const std::string& sql)
{
    std::vector<std::vector<std::string>> out;
    std::istringstream lines(sqlite(file, sql));
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> cols;
        std::istringstream fields(line);
        for (std::string f; std::getline(fields, f, '|');)
            cols.push_back(f);
        out.push_back(cols);
    }
    return out;
}

inline std::string isoDate(long long epochDay)
{
    std::time_t t = static_cast<std::time_t>(epochDay * 86400);
    std::tm tm {};
    gmtime_r(&t, &tm);
    char buf[11];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

struct DemoDoctor {
    long long id = 0, service = 0, location = 0, minutes = 0, priceMinor = 0;
};

struct Slot {
    long long doctor = 0, service = 0;
    std::string start;
};

/// A daemon with scheduling and records on a SQLite database under work,
/// restarted at will on the same data.
inline Daemon::Options demoClinicDaemon(const TempDir& work)
{
    Daemon::Options o;
    o.config["plugins.load"] = "records,scheduling";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["log.level"] = "warning";
    o.dataDir = work.file("data");
    o.dbUrl = "sqlite:" + work.file("data") + "/clinicd.db";
    return o;
}

/// The SQLite file of demoClinicDaemon(work).
inline std::string demoClinicDatabase(const TempDir& work)
{
    return work.file("data") + "/clinicd.db";
}

/// Seeds the demo clinic (clinicctl seed-demo) and returns its six doctors,
/// each with their shortest service.
inline std::vector<DemoDoctor> seedDemoClinic(const Daemon& d, const std::string& db)
{
    auto seeded = runProcess(binary("clinicctl"),
        {"--config=" + d.configFile(), "seed-demo", "--dir=" + sourceDir() + "/data/demo"});
    check(seeded.exitCode == 0, "seed-demo failed: " + seeded.out + seeded.err);
    std::vector<DemoDoctor> doctors;
    for (const auto& r : rows(db,
             "SELECT d.id, s.id, d.location_id, s.duration_min, s.price_minor FROM scheduling_doctors d"
             " JOIN scheduling_services s ON s.id = (SELECT ds.service_id FROM scheduling_doctor_services ds"
             " JOIN scheduling_services x ON x.id = ds.service_id WHERE ds.doctor_id = d.id"
             " ORDER BY x.duration_min, x.id LIMIT 1) WHERE d.demo_key IS NOT NULL ORDER BY d.id;"))
        doctors.push_back({std::stoll(r.at(0)), std::stoll(r.at(1)), std::stoll(r.at(2)), std::stoll(r.at(3)),
            std::stoll(r.at(4))});
    check(doctors.size() == 6, "the demo clinic has " + std::to_string(doctors.size()) + " doctors");
    return doctors;
}

/// n more doctors through the API, all at the first demo doctor's location,
/// each offering that doctor's shortest service and working every day of the
/// week from 08:00 to 20:00: room for sustained booking runs (48 slots a day
/// each with a 15-minute service). The first `inSpecialty` share the
/// specialty `specialty`, the others "bench other".
inline std::vector<DemoDoctor> createBenchDoctors(
    HttpClient& admin, const DemoDoctor& like, int n, int inSpecialty, const std::string& specialty)
{
    std::string hours = "[";
    for (int day = 1; day <= 7; ++day)
        hours += std::string(day > 1 ? "," : "") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(like.location) + "}";
    hours += "]";
    std::vector<DemoDoctor> doctors;
    for (int i = 0; i < n; ++i) {
        auto r = admin.post("/api/v1/doctors",
            R"({"name":"Dr. Bench )" + std::to_string(i) + R"(","specialty":")"
                + (i < inSpecialty ? specialty : std::string("bench other")) + R"(","location_id":)"
                + std::to_string(like.location) + R"(,"service_ids":[)" + std::to_string(like.service)
                + "]}");
        check(r.status == 201, "doctor create answered " + std::to_string(r.status) + " " + r.body);
        DemoDoctor d = like;
        d.id = r.json()->getValue<Poco::Int64>("id");
        auto h = admin.request("PUT", "/api/v1/doctors/" + std::to_string(d.id) + "/hours", hours);
        check(
            h.status == 200 || h.status == 204, "hours answered " + std::to_string(h.status) + " " + h.body);
        doctors.push_back(d);
    }
    return doctors;
}

/// n patients through the records API, one per booking connection.
inline std::vector<long long> createBenchPatients(HttpClient& admin, int n)
{
    std::vector<long long> patients;
    for (int i = 0; i < n; ++i) {
        auto r = admin.post("/api/v1/patients",
            R"({"first_name":"Bench","last_name":"Patient)"
                + std::string {static_cast<char>('A' + i / 26 % 26), static_cast<char>('A' + i % 26)}
                + R"(","birth_date":"1980-01-01","sex":"female","phone":"+40 700 100 )"
                + std::to_string(100 + i) + R"(","force":true})");
        check(r.status == 201, "patient create answered " + std::to_string(r.status) + " " + r.body);
        patients.push_back(r.json()->getValue<Poco::Int64>("id"));
    }
    return patients;
}

/// Every free slot of the doctors (their shortest service) from tomorrow
/// on, over the longest range availability allows.
inline std::vector<Slot> freeSlots(HttpClient& admin, const std::vector<DemoDoctor>& doctors)
{
    std::vector<Slot> slots;
    const long long today = static_cast<long long>(std::time(nullptr)) / 86400;
    for (const auto& doc : doctors) {
        auto r = admin.get("/api/v1/availability?doctor_id=" + std::to_string(doc.id) + "&service_id="
            + std::to_string(doc.service) + "&from=" + isoDate(today + 1) + "&to=" + isoDate(today + 62));
        check(r.status == 200, "availability answered " + std::to_string(r.status) + " " + r.body);
        auto items = r.json()->getArray("items");
        for (std::size_t i = 0; i < items->size(); ++i)
            slots.push_back({doc.id, doc.service,
                items->getObject(static_cast<unsigned>(i))->getValue<std::string>("start")});
    }
    return slots;
}

/// The body of POST /api/v1/appointments for a slot.
inline std::string bookingBody(long long patient, const Slot& s)
{
    return "{\"patient_id\":" + std::to_string(patient) + ",\"doctor_id\":" + std::to_string(s.doctor)
        + ",\"service_id\":" + std::to_string(s.service) + ",\"start\":\"" + s.start + "\"}";
}

/// Between created (answered 201) and created + unsure (no answer, or an
/// answer that cannot say whether it was stored) appointments are stored,
/// one audit row each, no two of a doctor overlap, and the occupancy rows
/// match: no booking lost or doubled. Returns the number stored.
inline long long checkBookingsStored(const std::string& db, long long created, long long unsure = 0)
{
    const long long stored = scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;");
    check(stored >= created && stored <= created + unsure,
        "201 answers " + std::to_string(created) + " (" + std::to_string(unsure) + " unsure) but "
            + std::to_string(stored) + " appointments stored");
    check(scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'appointment.create';") == stored,
        "not one audit row per booking");
    check(scalar(db,
              "SELECT COUNT(*) FROM scheduling_appointments a JOIN scheduling_appointments b"
              " ON b.doctor_id = a.doctor_id AND b.id > a.id AND b.start_utc < a.end_utc"
              " AND a.start_utc < b.end_utc;")
            == 0,
        "two appointments of one doctor overlap");
    check(scalar(db, "SELECT COUNT(*) FROM scheduling_occupancy;")
            == scalar(
                db, "SELECT SUM((end_utc - 1) / 300 - start_utc / 300 + 1) FROM scheduling_appointments;"),
        "occupancy rows do not match the appointments");
    return stored;
}

} // namespace clinic::test::bench
