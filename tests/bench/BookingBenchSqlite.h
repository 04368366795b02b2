#pragma once

// The parts of booking_bench that work on the SQLite file directly, without
// the daemon: the raw one-row-per-transaction loop the booking rate is
// measured against, and the stored history availability is measured over.
// Header-only, like DemoClinicBooking.h; failures throw std::runtime_error.

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "DemoClinicBooking.h"

namespace clinic::test::bench {

struct SqliteFile {
    sqlite3* h = nullptr;
    ~SqliteFile() { sqlite3_close(h); }
    void exec(const std::string& sql)
    {
        char* err = nullptr;
        if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            std::string msg = err ? err : "?";
            sqlite3_free(err);
            throw std::runtime_error("sqlite: " + msg + " in " + sql);
        }
    }
    sqlite3_stmt* prepare(const std::string& sql)
    {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(h));
        return st;
    }
    void step(sqlite3_stmt* st)
    {
        if (sqlite3_step(st) != SQLITE_DONE)
            throw std::runtime_error(std::string("sqlite step: ") + sqlite3_errmsg(h));
        sqlite3_reset(st);
    }
};

/// Replays the daemon's stored bookings as raw transactions for at most
/// `seconds` (a slow disk would otherwise stretch the run) and returns the
/// rate.
inline double rawInserts(const TempDir& work, const std::string& daemonDb, double seconds)
{
    // The daemon's own tables (schema copied from its database), fresh.
    const std::string file = work.file("raw.db");
    sqlite(file,
        sqlite(daemonDb, ".schema scheduling_appointments") + "\n"
            + sqlite(daemonDb, ".schema scheduling_occupancy") + "\n"
            + sqlite(daemonDb, ".schema audit_log"));
    // Replays the bookings the daemon stored.
    auto booked = rows(daemonDb,
        "SELECT patient_id, doctor_id, service_id, location_id, start_utc, end_utc, price_minor"
        " FROM scheduling_appointments ORDER BY id;");

    SqliteFile db;
    check(sqlite3_open(file.c_str(), &db.h) == SQLITE_OK, "cannot open " + file);
    db.exec("PRAGMA busy_timeout=5000");
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
    sqlite3_stmt* begin = db.prepare("BEGIN IMMEDIATE");
    sqlite3_stmt* commit = db.prepare("COMMIT");
    sqlite3_stmt* appt = db.prepare(
        "INSERT INTO scheduling_appointments (series_id, patient_id, doctor_id, service_id, location_id,"
        " start_utc, end_utc, status, notes, sequence, price_minor, currency, fee_minor, cancel_reason,"
        " created_at, created_by, updated_at) VALUES (0, ?, ?, ?, ?, ?, ?, 'pending', '', 0, ?, 'RON', 0, '',"
        " ?, 1, ?)");
    sqlite3_stmt* audit = db.prepare(
        "INSERT INTO audit_log (at, actor_id, actor_username, actor_role, action, object_type, object_id,"
        " patient_id, request_id, client_address, outcome, reason) VALUES (?, 1, 'bench.admin', 'admin',"
        " 'appointment.create', 'appointment', ?, ?, 'req-bench', '127.0.0.1', 'ok', '')");
    std::map<long long, sqlite3_stmt*> occupy; // by cell count: one multi-row INSERT, as the daemon does
    const auto started = std::chrono::steady_clock::now();
    std::size_t done = 0;
    for (const auto& b : booked) {
        if (secondsSince(started) >= seconds)
            break;
        ++done;
        const long long patient = std::stoll(b[0]), doctor = std::stoll(b[1]), start = std::stoll(b[4]),
                        end = std::stoll(b[5]);
        const long long first = start / 300, last = (end - 1) / 300, n = last - first + 1;
        auto& occ = occupy[n];
        if (!occ) {
            std::string sql = "INSERT INTO scheduling_occupancy (doctor_id, cell, appointment_id) VALUES ";
            for (long long i = 0; i < n; ++i)
                sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
            occ = db.prepare(sql);
        }
        const long long at = static_cast<long long>(std::time(nullptr));
        db.step(begin);
        sqlite3_bind_int64(appt, 1, patient);
        sqlite3_bind_int64(appt, 2, doctor);
        sqlite3_bind_int64(appt, 3, std::stoll(b[2]));
        sqlite3_bind_int64(appt, 4, std::stoll(b[3]));
        sqlite3_bind_int64(appt, 5, start);
        sqlite3_bind_int64(appt, 6, end);
        sqlite3_bind_int64(appt, 7, std::stoll(b[6]));
        sqlite3_bind_int64(appt, 8, at);
        sqlite3_bind_int64(appt, 9, at);
        db.step(appt);
        const long long id = sqlite3_last_insert_rowid(db.h);
        for (long long i = 0; i < n; ++i) {
            sqlite3_bind_int64(occ, static_cast<int>(3 * i + 1), doctor);
            sqlite3_bind_int64(occ, static_cast<int>(3 * i + 2), first + i);
            sqlite3_bind_int64(occ, static_cast<int>(3 * i + 3), id);
        }
        db.step(occ);
        const std::string objectId = std::to_string(id);
        sqlite3_bind_int64(audit, 1, at * 1000000);
        sqlite3_bind_text(audit, 2, objectId.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(audit, 3, patient);
        db.step(audit);
        db.step(commit);
    }
    const double elapsed = secondsSince(started);
    for (auto* st : {begin, commit, appt, audit})
        sqlite3_finalize(st);
    for (auto& [n, st] : occupy)
        sqlite3_finalize(st);
    const long long stored = [&] {
        sqlite3_stmt* st = db.prepare("SELECT COUNT(*) FROM scheduling_appointments");
        sqlite3_step(st);
        const long long v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    }();
    check(stored == static_cast<long long>(done), "raw loop lost rows");
    const double rate = static_cast<double>(done) / elapsed;
    std::cout << "booking_bench raw transactions=" << done << " seconds=" << elapsed
              << " raw_inserts_per_s=" << rate << std::endl;
    return rate;
}

/// Adds appointments until `target` are stored: past ones (completed,
/// cancelled, no-show) over past years, and one in fifty a confirmed one
/// after `horizonDay` (past the bookings above) with its occupancy rows.
inline void generateHistory(const std::string& db, const std::vector<DemoDoctor>& doctors,
    const std::vector<long long>& patients, long long target, long long horizonDay)
{
    const long long have = scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;");
    if (have >= target)
        return;
    // The index i continues across calls, so the sizes never collide.
    const long long from = scalar(db, "SELECT COUNT(*) FROM scheduling_appointments WHERE created_by = 0;");
    const long long to = from + (target - have);
    const long long maxId = scalar(db, "SELECT COALESCE(MAX(id), 0) FROM scheduling_appointments;");
    const long long pastBase = static_cast<long long>(std::time(nullptr)) / 86400 * 86400 - 86400;
    const long long nd = static_cast<long long>(doctors.size());
    std::ostringstream sql;
    sql << "BEGIN;\nCREATE TEMP TABLE bench_docs (k INTEGER PRIMARY KEY, doctor_id, service_id, location_id,"
           " minutes, price);\nINSERT INTO bench_docs VALUES ";
    for (std::size_t k = 0; k < doctors.size(); ++k)
        sql << (k ? ", (" : "(") << k << ", " << doctors[k].id << ", " << doctors[k].service << ", "
            << doctors[k].location << ", " << doctors[k].minutes << ", " << doctors[k].priceMinor << ")";
    sql << ";\n"
        << "WITH RECURSIVE seq(i) AS (SELECT " << from << " UNION ALL SELECT i + 1 FROM seq WHERE i < "
        << to - 1 << "),\n t AS (SELECT i, i % " << nd << " AS k, i / " << nd << " AS j FROM seq),\n"
        << " u AS (SELECT i, k, j % 50 = 0 AS future, CASE WHEN j % 50 = 0 THEN " << horizonDay * 86400
        << " + (j / 50 / 24) * 86400 + 25200 + (j / 50 % 24) * 1800 ELSE " << pastBase
        << " - (j / 24) * 86400 + 25200 + (j % 24) * 1800 END AS s FROM t)\n"
        << "INSERT INTO scheduling_appointments (series_id, patient_id, doctor_id, service_id, location_id,"
           " start_utc, end_utc, status, notes, sequence, price_minor, currency, fee_minor, cancel_reason,"
           " created_at, created_by, updated_at)\n"
        << " SELECT 0, " << patients.front() << " + u.i % " << patients.size()
        << ", d.doctor_id, d.service_id, d.location_id, u.s, u.s + d.minutes * 60,"
           " CASE WHEN u.future THEN 'confirmed' WHEN u.i % 20 = 1 THEN 'cancelled' WHEN u.i % 20 = 2 THEN"
           " 'no_show' ELSE 'completed' END, '', 0, d.price, 'RON', 0,"
           " CASE WHEN NOT u.future AND u.i % 20 = 1 THEN 'patient request' ELSE '' END,"
           " u.s - 604800, 0, u.s FROM u JOIN bench_docs d ON d.k = u.k;\n"
        << "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 20)\n"
           "INSERT INTO scheduling_occupancy (doctor_id, cell, appointment_id)"
           " SELECT a.doctor_id, a.start_utc / 300 + c.n, a.id FROM scheduling_appointments a"
           " JOIN c ON c.n <= (a.end_utc - 1) / 300 - a.start_utc / 300"
           " WHERE a.id > "
        << maxId << " AND a.status = 'confirmed';\nCOMMIT;\n";
    const auto started = std::chrono::steady_clock::now();
    sqlite(db, sql.str());
    std::cout << "booking_bench history stored="
              << scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;")
              << " occupancy_rows=" << scalar(db, "SELECT COUNT(*) FROM scheduling_occupancy;")
              << " generated_in_s=" << secondsSince(started) << std::endl;
}

} // namespace clinic::test::bench
