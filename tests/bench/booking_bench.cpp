// Booking and availability figures for the scheduling plugin, through the
// real clinicd over HTTP on SQLite with the daemon's default durability
// (journal_mode=WAL, synchronous=FULL), on the demo clinic:
//
//   1. bookings per second: 16 threads, each with its own keep-alive
//      connection, book distinct free slots of the demo doctors (taken from
//      GET /api/v1/availability); every answer must be 201 and every 201
//      stored (appointment, occupancy and audit rows; no overlap);
//   2. the raw rate of the same writes (appointment + occupancy + audit row,
//      one BEGIN IMMEDIATE transaction each) from a tight C++ loop on the
//      sqlite3 C API with the same pragmas, and bookings/s over that;
//   3. availability (one doctor, 7 days) requests/s, p50 and p99 with 10,000
//      and with 1,000,000 appointments stored (history generated in SQLite;
//      the daemon is restarted on the database before each size), and the
//      1M/10k ratios.
//
// Prints one line per figure; fails (exit 1) only on a wrong answer or a
// lost or double booking, never on time. Run it with
// tests/bench/booking_bench.sh. Environment: BOOKING_BENCH_N (bookings,
// default 2000), BOOKING_BENCH_QUERIES (availability requests per size,
// default 5000), BOOKING_BENCH_BIG (the large size, default 1000000).

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "DemoClinicBooking.h"
#include "IdentityTestSupport.h"

using namespace clinic::test;
using namespace clinic::test::bench;

namespace {

/// Concurrent booking connections (BOOKING_BENCH_THREADS, default 16).
int kThreads = 16;

// ---- 1. bookings through the daemon -------------------------------------------

double bookThroughDaemon(Daemon& d, const std::string& db, const std::vector<DemoDoctor>& doctors,
    std::vector<long long>& patients, int wanted)
{
    // The set-up connection is closed before the burst: clinicd serves a
    // keep-alive connection on one of its http.threads (16) workers until it
    // closes or idles out, so a 17th open connection would wait.
    std::vector<Slot> slots;
    {
        auto admin = d.adminClient();
        patients = createBenchPatients(admin, kThreads);
        slots = freeSlots(admin, doctors);
    }
    // Shuffled, so every week is partly booked (the availability figures
    // below read a week with bookings in it).
    std::mt19937 rng(7);
    std::shuffle(slots.begin(), slots.end(), rng);
    const std::size_t free = slots.size();
    if (static_cast<int>(slots.size()) > wanted)
        slots.resize(static_cast<std::size_t>(wanted));
    std::cout << "booking_bench free_slots=" << free << " booking=" << slots.size() << " threads=" << kThreads
              << std::endl;

    std::vector<HttpClient> clients;
    for (int t = 0; t < kThreads; ++t)
        clients.push_back(d.adminClient());
    std::atomic<int> created {0}, failed {0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(kThreads));
    std::mutex firstFailureLock;
    std::string firstFailure;
    std::atomic<bool> go {false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            while (!go)
                std::this_thread::yield();
            for (std::size_t i = static_cast<std::size_t>(t); i < slots.size(); i += kThreads) {
                const auto& s = slots[i];
                HttpResult r;
                const auto t0 = std::chrono::steady_clock::now();
                try {
                    r = clients[static_cast<std::size_t>(t)].post(
                        "/api/v1/appointments", bookingBody(patients[static_cast<std::size_t>(t)], s));
                } catch (const std::exception& e) {
                    r.status = -1;
                    r.body = e.what();
                }
                latencies[static_cast<std::size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                if (r.status == 201) {
                    ++created;
                } else {
                    ++failed;
                    std::lock_guard<std::mutex> lock(firstFailureLock);
                    if (firstFailure.empty())
                        firstFailure = std::to_string(r.status) + " " + r.body.substr(0, 300);
                }
            }
        });
    const auto started = std::chrono::steady_clock::now();
    go = true;
    for (auto& th : threads)
        th.join();
    const double elapsed = secondsSince(started);

    // Correctness: every answer 201, every 201 stored once, nothing overlaps.
    check(failed == 0, std::to_string(failed.load()) + " bookings not answered 201; first: " + firstFailure);
    checkBookingsStored(db, created);
    const double rate = created / elapsed;
    std::vector<double> all;
    for (const auto& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    std::cout << "booking_bench bookings=" << created << " threads=" << kThreads << " seconds=" << elapsed
              << " bookings_per_s=" << rate << " p50_ms=" << percentile(all, 0.50)
              << " p99_ms=" << percentile(all, 0.99) << std::endl;
    // What one booking writes besides the three rows the raw loop repeats.
    std::cout << "booking_bench per_booking occupancy_rows="
              << static_cast<double>(scalar(db, "SELECT COUNT(*) FROM scheduling_occupancy;")) / created
              << " audit_rows=1 job_rows="
              << static_cast<double>(scalar(db, "SELECT COUNT(*) FROM jobs;")) / created << std::endl;
    return rate;
}

// ---- 2. the same writes from a tight loop -----------------------------------

struct Db {
    sqlite3* h = nullptr;
    ~Db() { sqlite3_close(h); }
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

double rawInserts(const TempDir& work, const std::string& daemonDb)
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

    Db db;
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
    for (const auto& b : booked) {
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
    check(stored == static_cast<long long>(booked.size()), "raw loop lost rows");
    const double rate = static_cast<double>(booked.size()) / elapsed;
    std::cout << "booking_bench raw transactions=" << booked.size() << " seconds=" << elapsed
              << " raw_inserts_per_s=" << rate << std::endl;
    return rate;
}

// ---- 3. availability with history stored -----------------------------------

/// Adds appointments until `target` are stored: past ones (completed,
/// cancelled, no-show) over past years, and one in fifty a confirmed one
/// after `horizonDay` (past the bookings above) with its occupancy rows.
void generateHistory(const std::string& db, const std::vector<DemoDoctor>& doctors,
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

struct AvailabilityFigure {
    double rps = 0, p50 = 0, p99 = 0;
    std::size_t slots = 0;
};

AvailabilityFigure measureAvailability(
    const TempDir& work, const DemoDoctor& doc, long long stored, int queries)
{
    // A daemon started afresh on the database for each size.
    Daemon d(demoClinicDaemon(work));
    auto c = d.adminClient();
    const long long today = static_cast<long long>(std::time(nullptr)) / 86400;
    const std::string path = "/api/v1/availability?doctor_id=" + std::to_string(doc.id) + "&service_id="
        + std::to_string(doc.service) + "&from=" + isoDate(today + 1) + "&to=" + isoDate(today + 7);
    AvailabilityFigure f;
    for (int i = 0; i < 50; ++i) { // warm-up: sessions, statement caches, page cache
        auto r = c.get(path);
        check(r.status == 200, "availability answered " + std::to_string(r.status) + " " + r.body);
        f.slots = r.json()->getArray("items")->size();
    }
    std::vector<double> ms;
    ms.reserve(static_cast<std::size_t>(queries));
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < queries; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.get(path);
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        check(r.status == 200, "availability answered " + std::to_string(r.status) + " " + r.body);
    }
    f.rps = queries / secondsSince(started);
    f.p50 = percentile(ms, 0.50);
    f.p99 = percentile(ms, 0.99);
    std::cout << "booking_bench availability stored=" << stored << " days=7 slots=" << f.slots
              << " requests=" << queries << " rps=" << f.rps << " p50_ms=" << f.p50 << " p99_ms=" << f.p99
              << std::endl;
    return f;
}

} // namespace

int main()
{
    if (backend() != "sqlite") {
        std::cout << "booking_bench: SQLite only (CLINICD_TEST_BACKEND=" << backend() << ")\n";
        return 0;
    }
    const int wanted = envInt("BOOKING_BENCH_N", 2000);
    kThreads = std::max(1, envInt("BOOKING_BENCH_THREADS", 16));
    const int queries = envInt("BOOKING_BENCH_QUERIES", 5000);
    const long long big = envInt("BOOKING_BENCH_BIG", 1000000);
    std::cout.setf(std::ios::fixed);
    std::cout.precision(2);
    try {
        TempDir work;
        const std::string db = work.file("data") + "/clinicd.db";
        std::vector<DemoDoctor> doctors;
        std::vector<long long> patients;
        double bookingRate = 0;
        {
            Daemon d(demoClinicDaemon(work));
            doctors = seedDemoClinic(d, db);
            std::cout << "booking_bench synchronous=" << sqlite(db, "PRAGMA synchronous;")
                      << " journal_mode=" << sqlite(db, "PRAGMA journal_mode;")
                      << " (daemon: db.synchronous=FULL default, WAL)" << std::endl;
            bookingRate = bookThroughDaemon(d, db, doctors, patients, wanted);
        }
        const double rawRate = rawInserts(work, db);
        std::cout << "booking_bench bookings_per_s=" << bookingRate << " raw_inserts_per_s=" << rawRate
                  << " ratio=" << bookingRate / rawRate << std::endl;

        // History, then the same measurement on a restarted daemon per size.
        const long long horizon = static_cast<long long>(std::time(nullptr)) / 86400 + 70;
        std::map<long long, AvailabilityFigure> figures;
        for (long long size : {10000LL, big}) {
            generateHistory(db, doctors, patients, size, horizon);
            figures[size] = measureAvailability(work, doctors.front(), size, queries);
        }
        // History lies outside the week asked for, so it must not change the answer.
        check(figures[10000].slots == figures[big].slots, "the history changed the free slots of the week");
        std::cout << "booking_bench availability ratio stored=" << big
                  << "/10000 p50_ratio=" << figures[big].p50 / figures[10000].p50
                  << " p99_ratio=" << figures[big].p99 / figures[10000].p99
                  << " rps_ratio=" << figures[big].rps / figures[10000].rps << std::endl;

        // The plans of the queries availability runs, on the large database.
        const std::string d = std::to_string(doctors.front().id);
        std::cout << "booking_bench plans:\n"
                  << sqlite(db,
                         "EXPLAIN QUERY PLAN SELECT cell FROM scheduling_occupancy WHERE doctor_id = " + d
                             + " AND cell >= 1 AND cell <= 2;\n"
                               "EXPLAIN QUERY PLAN SELECT start_utc, end_utc FROM scheduling_time_off WHERE "
                               "doctor_id = "
                             + d
                             + " AND end_utc > 1 AND start_utc < 2 ORDER BY start_utc;\n"
                               "EXPLAIN QUERY PLAN SELECT doctor_id FROM scheduling_doctor_services WHERE "
                               "service_id = 1 ORDER BY doctor_id;")
                  << std::endl;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        std::cout << "booking_bench FAILED: " << std::string(e.what()).substr(0, 500) << std::endl;
        return 1;
    }
    return 0;
}
