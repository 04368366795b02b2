// Booking and availability figures for the scheduling plugin, through the
// real clinicd over HTTP, with the daemon's default durability on SQLite
// (journal_mode=WAL, synchronous=FULL), on the demo clinic plus 48 bench
// doctors (every day 08:00-20:00, a 15-minute service):
//
//   1. bookings per second, sustained: 16 threads, each with its own
//      keep-alive connection, book distinct free slots (taken from
//      GET /api/v1/availability) for BOOKING_BENCH_SECONDS (default 15);
//      p50/p99 of the answers; every answer must be 201 and every 201 stored
//      (appointment, occupancy and audit rows; no overlap);
//   2. the same bookings from one connection (latency without queueing);
//   3. the raw rate of the same writes (appointment + occupancy + audit row,
//      one BEGIN IMMEDIATE transaction each) from a tight C++ loop on the
//      sqlite3 C API with the same pragmas (for at most 10 s), and
//      bookings/s over that;
//   4. availability with 16 connections: one doctor over 7 days with 10,000
//      and with 1,000,000 appointments stored (history generated in SQLite;
//      the daemon is restarted on the database before each size), the
//      1M/10k ratios, and one day across a specialty of 20 doctors;
//   5. on MariaDB (when mariadb-server is installed): the sustained booking
//      run with one daemon, and with two daemons on one database.
//
// Prints one line per figure; fails (exit 1) only on a wrong answer or a
// lost or double booking, never on time. Run it with
// tests/bench/booking_bench.sh. Environment: BOOKING_BENCH_SECONDS (the
// 16-connection runs, default 15), BOOKING_BENCH_SINGLE_SECONDS (default 5),
// BOOKING_BENCH_QUERY_SECONDS (each availability figure, default 5),
// BOOKING_BENCH_BIG (default 1000000), BOOKING_BENCH_THREADS (default 16),
// BOOKING_BENCH_MARIADB (0 skips MariaDB).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <Poco/File.h>

#include "BookingBenchSqlite.h"
#include "DemoClinicBooking.h"
#include "IdentityTestSupport.h"
#include "MariaDbServer.h"

using namespace clinic::test;
using namespace clinic::test::bench;

namespace {

int kThreads = 16;
const std::string kSpecialty = "bench specialty";
constexpr int kBenchDoctors = 48, kSpecialtyDoctors = 20;

struct RunFigures {
    long long created = 0;
    double seconds = 0, rate = 0, p50 = 0, p99 = 0;
};

/// Threads (one keep-alive connection each, on the daemon its client talks
/// to) book the next untaken slot of `slots` until `seconds` pass or the
/// slots run out. Every answer must be 201.
RunFigures bookFor(std::vector<HttpClient>& clients, const std::vector<long long>& patients,
    const std::vector<Slot>& slots, std::size_t& next, double seconds, const std::string& label)
{
    const int threadCount = static_cast<int>(clients.size());
    std::atomic<std::size_t> cursor {next};
    std::atomic<long long> created {0}, failed {0};
    std::vector<std::vector<double>> latencies(clients.size());
    std::mutex firstFailureLock;
    std::string firstFailure;
    std::atomic<bool> go {false};
    const auto until = [&] { return std::chrono::steady_clock::now(); };
    std::chrono::steady_clock::time_point deadline;
    std::vector<std::thread> threads;
    for (int t = 0; t < threadCount; ++t)
        threads.emplace_back([&, t] {
            const auto i = static_cast<std::size_t>(t);
            while (!go)
                std::this_thread::yield();
            while (until() < deadline) {
                const std::size_t k = cursor++;
                if (k >= slots.size())
                    break;
                HttpResult r;
                const auto t0 = std::chrono::steady_clock::now();
                try {
                    r = clients[i].post(
                        "/api/v1/appointments", bookingBody(patients[i % patients.size()], slots[k]));
                } catch (const std::exception& e) {
                    r.status = -1;
                    r.body = e.what();
                }
                latencies[i].push_back(
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
    deadline = started + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    go = true;
    for (auto& th : threads)
        th.join();
    RunFigures f;
    f.seconds = secondsSince(started);
    next = std::min(cursor.load(), slots.size());
    check(failed == 0,
        label + ": " + std::to_string(failed.load()) + " bookings not answered 201; first: " + firstFailure);
    check(next < slots.size(), label + ": the free slots ran out before the time did");
    std::vector<double> all;
    for (const auto& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    f.created = created;
    f.rate = static_cast<double>(created) / f.seconds;
    f.p50 = percentile(all, 0.50);
    f.p99 = percentile(all, 0.99);
    std::cout << "booking_bench " << label << " bookings=" << f.created << " connections=" << threadCount
              << " seconds=" << f.seconds << " bookings_per_s=" << f.rate << " p50_ms=" << f.p50
              << " p99_ms=" << f.p99 << std::endl;
    return f;
}

/// A counter's value from the daemon's /metrics (the metrics plugin), or -1.
double metric(HttpClient& c, const std::string& name)
{
    auto r = c.get("/metrics");
    const std::size_t at = r.body.find("\n" + name + " ");
    return r.status == 200 && at != std::string::npos ? std::stod(r.body.substr(at + name.size() + 2)) : -1;
}

/// The free slots of doctors, shuffled (every week partly booked), from a
/// connection closed before the runs.
std::vector<Slot> shuffledSlots(Daemon& d, const std::vector<DemoDoctor>& doctors)
{
    auto admin = d.adminClient();
    auto slots = freeSlots(admin, doctors);
    std::mt19937 rng(7);
    std::shuffle(slots.begin(), slots.end(), rng);
    return slots;
}

struct AvailabilityFigure {
    double rps = 0, p50 = 0, p99 = 0;
    std::size_t slots = 0;
};

/// `path` from kThreads connections for `seconds`; every answer 200.
AvailabilityFigure askFor(Daemon& d, const std::string& path, double seconds, const std::string& label)
{
    std::vector<HttpClient> clients;
    for (int t = 0; t < kThreads; ++t)
        clients.push_back(d.adminClient());
    AvailabilityFigure f;
    for (int i = 0; i < 20; ++i) { // warm-up: sessions, caches, page cache
        auto r = clients.front().get(path);
        check(r.status == 200, "availability answered " + std::to_string(r.status) + " " + r.body);
        f.slots = r.json()->getArray("items")->size();
    }
    std::vector<std::vector<double>> ms(clients.size());
    std::atomic<long long> wrong {0};
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < clients.size(); ++t)
        threads.emplace_back([&, t] {
            while (std::chrono::steady_clock::now() < deadline) {
                const auto t0 = std::chrono::steady_clock::now();
                auto r = clients[t].get(path);
                ms[t].push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                if (r.status != 200)
                    ++wrong;
            }
        });
    for (auto& th : threads)
        th.join();
    const double elapsed = secondsSince(started);
    check(wrong == 0, std::to_string(wrong.load()) + " availability answers were not 200");
    std::vector<double> all;
    for (const auto& m : ms)
        all.insert(all.end(), m.begin(), m.end());
    f.rps = static_cast<double>(all.size()) / elapsed;
    f.p50 = percentile(all, 0.50);
    f.p99 = percentile(all, 0.99);
    std::cout << "booking_bench availability " << label << " connections=" << kThreads << " slots=" << f.slots
              << " requests=" << all.size() << " rps=" << f.rps << " p50_ms=" << f.p50 << " p99_ms=" << f.p99
              << std::endl;
    return f;
}

std::string oneDoctorWeek(const DemoDoctor& doc)
{
    const long long today = static_cast<long long>(std::time(nullptr)) / 86400;
    return "/api/v1/availability?doctor_id=" + std::to_string(doc.id) + "&service_id="
        + std::to_string(doc.service) + "&from=" + isoDate(today + 1) + "&to=" + isoDate(today + 7);
}

/// Every SQLite figure: bookings (16 connections, then 1), the raw loop,
/// availability at two sizes and across a specialty.
void sqliteFigures(double seconds, double singleSeconds, double querySeconds, long long big)
{
    TempDir work;
    const std::string db = demoClinicDatabase(work);
    std::vector<DemoDoctor> demo, bench;
    std::vector<long long> patients;
    RunFigures many, one;
    {
        auto options = demoClinicDaemon(work);
        options.config["plugins.load"] += ",metrics"; // the group commit counters
        Daemon d(options);
        demo = seedDemoClinic(d, db);
        {
            auto admin = d.adminClient();
            bench = createBenchDoctors(admin, demo.front(), kBenchDoctors, kSpecialtyDoctors, kSpecialty);
            patients = createBenchPatients(admin, kThreads);
        }
        std::cout << "booking_bench synchronous=" << sqlite(db, "PRAGMA synchronous;")
                  << " journal_mode=" << sqlite(db, "PRAGMA journal_mode;")
                  << " (daemon: db.synchronous=FULL default, WAL)" << std::endl;
        const auto slots = shuffledSlots(d, bench);
        std::cout << "booking_bench free_slots=" << slots.size() << " doctors=" << bench.size() << std::endl;
        std::size_t next = 0;
        std::vector<HttpClient> clients;
        for (int t = 0; t < kThreads; ++t)
            clients.push_back(d.adminClient());
        const double groups = metric(clients.front(), "clinicd_db_group_commits_total"),
                     grouped = metric(clients.front(), "clinicd_db_group_committed_writes_total");
        many = bookFor(clients, patients, slots, next, seconds, "sqlite");
        const double commits = metric(clients.front(), "clinicd_db_group_commits_total") - groups;
        std::cout << "booking_bench sqlite commits=" << commits << " writes_per_commit="
                  << (metric(clients.front(), "clinicd_db_group_committed_writes_total") - grouped) / commits
                  << " (the writer queue's groups; jobs and sessions write too)" << std::endl;
        clients.erase(clients.begin() + 1, clients.end());
        one = bookFor(clients, patients, slots, next, singleSeconds, "sqlite_single");
        const long long stored = checkBookingsStored(db, many.created + one.created);
        std::cout << "booking_bench stored=" << stored << " per_booking occupancy_rows="
                  << static_cast<double>(scalar(db, "SELECT COUNT(*) FROM scheduling_occupancy;")) / stored
                  << " audit_rows=1 job_rows="
                  << static_cast<double>(scalar(db, "SELECT COUNT(*) FROM jobs;")) / stored << std::endl;
    }
    const double rawRate = rawInserts(work, db, 10);
    std::cout << "booking_bench bookings_per_s=" << many.rate << " raw_inserts_per_s=" << rawRate
              << " ratio=" << many.rate / rawRate << " p99_ms=" << many.p99
              << " single_connection_bookings_per_s=" << one.rate << " single_p50_ms=" << one.p50
              << " single_p99_ms=" << one.p99 << std::endl;

    // History, then the same measurement on a restarted daemon per size. The
    // doctor asked about is a bench doctor: its week holds bookings.
    std::vector<DemoDoctor> all = demo;
    all.insert(all.end(), bench.begin(), bench.end());
    const long long horizon = static_cast<long long>(std::time(nullptr)) / 86400 + 70;
    std::map<long long, AvailabilityFigure> figures;
    for (long long size : {10000LL, big}) {
        generateHistory(db, all, patients, size, horizon);
        Daemon d(demoClinicDaemon(work));
        figures[size] = askFor(d, oneDoctorWeek(bench.front()), querySeconds,
            "stored=" + std::to_string(scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;"))
                + " doctors=1 days=7");
        if (size == big) {
            const long long tomorrow = static_cast<long long>(std::time(nullptr)) / 86400 + 1;
            askFor(d,
                "/api/v1/availability?specialty=bench%20specialty&service_id="
                    + std::to_string(bench.front().service) + "&from=" + isoDate(tomorrow)
                    + "&to=" + isoDate(tomorrow),
                querySeconds, "specialty doctors=" + std::to_string(kSpecialtyDoctors) + " days=1");
        }
    }
    // History lies outside the week asked for, so it must not change the answer.
    check(figures[10000].slots == figures[big].slots, "the history changed the free slots of the week");
    std::cout << "booking_bench availability ratio stored=" << big
              << "/10000 p50_ratio=" << figures[big].p50 / figures[10000].p50
              << " p99_ratio=" << figures[big].p99 / figures[10000].p99
              << " rps_ratio=" << figures[big].rps / figures[10000].rps << std::endl;
}

/// A column of one row from the MariaDB database of url.
long long mariaScalar(const std::string& url, const std::string& sql)
{
    const std::string name = url.substr(url.rfind('/') + 1);
    return std::stoll(MariaDbServer::shared().sql("USE `" + name + "`;\n" + sql + ";\n"));
}

/// The sustained run on MariaDB with one daemon, then with two on one
/// database (each thread on one of them), each on fresh slots.
void mariaDbFigures(double seconds)
{
    if (!MariaDbServer::installed()) {
        std::cout << "booking_bench mariadb: skipped (mariadb-server is not installed)" << std::endl;
        return;
    }
    TempDir work;
    auto options = demoClinicDaemon(work);
    options.dbUrl = MariaDbServer::shared().createDatabase(
        "clinicd_bench" + std::to_string(static_cast<long long>(std::time(nullptr)) % 100000));
    Daemon first(options);
    auto seeded = runProcess(binary("clinicctl"),
        {"--config=" + first.configFile(), "seed-demo", "--dir=" + sourceDir() + "/data/demo"});
    check(seeded.exitCode == 0, "seed-demo failed: " + seeded.out + seeded.err);
    std::vector<DemoDoctor> bench;
    std::vector<long long> patients;
    {
        DemoDoctor like;
        like.service = mariaScalar(
            options.dbUrl, "SELECT s.id FROM scheduling_services s ORDER BY s.duration_min, s.id LIMIT 1");
        like.location = mariaScalar(options.dbUrl, "SELECT MIN(id) FROM scheduling_locations");
        auto admin = first.adminClient();
        bench = createBenchDoctors(admin, like, kBenchDoctors, 0, kSpecialty);
        patients = createBenchPatients(admin, kThreads);
    }
    const auto slots = shuffledSlots(first, bench);
    std::size_t next = 0;
    std::vector<HttpClient> clients;
    for (int t = 0; t < kThreads; ++t)
        clients.push_back(first.adminClient());
    const auto one = bookFor(clients, patients, slots, next, seconds, "mariadb daemons=1");
    auto secondOptions = options;
    secondOptions.dataDir = work.file("second");
    Poco::File(secondOptions.dataDir).createDirectories();
    Daemon second(secondOptions);
    for (int t = kThreads / 2; t < kThreads; ++t)
        clients[static_cast<std::size_t>(t)] = second.adminClient();
    const auto two = bookFor(clients, patients, slots, next, seconds, "mariadb daemons=2");
    const long long created = one.created + two.created;
    check(mariaScalar(options.dbUrl, "SELECT COUNT(*) FROM scheduling_appointments") == created,
        "MariaDB: the 201 answers and the stored appointments differ");
    check(mariaScalar(options.dbUrl, "SELECT COUNT(*) FROM scheduling_occupancy")
            == mariaScalar(options.dbUrl,
                "SELECT SUM((end_utc - 1) DIV 300 - start_utc DIV 300 + 1) FROM scheduling_appointments"),
        "MariaDB: occupancy rows do not match the appointments");
}

} // namespace

int main()
{
    if (backend() != "sqlite") {
        std::cout << "booking_bench: run with CLINICD_TEST_BACKEND=sqlite (MariaDB is measured too)\n";
        return 0;
    }
    kThreads = std::max(1, envInt("BOOKING_BENCH_THREADS", 16));
    const double seconds = envInt("BOOKING_BENCH_SECONDS", 15);
    const double singleSeconds = envInt("BOOKING_BENCH_SINGLE_SECONDS", 5);
    const double querySeconds = envInt("BOOKING_BENCH_QUERY_SECONDS", 5);
    const long long big = envInt("BOOKING_BENCH_BIG", 1000000);
    std::cout.setf(std::ios::fixed);
    std::cout.precision(2);
    try {
        sqliteFigures(seconds, singleSeconds, querySeconds, big);
        if (envInt("BOOKING_BENCH_MARIADB", 1))
            mariaDbFigures(seconds);
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        std::cout << "booking_bench FAILED: " << std::string(e.what()).substr(0, 500) << std::endl;
        MariaDbServer::stopShared();
        return 1;
    }
    MariaDbServer::stopShared();
    return 0;
}
