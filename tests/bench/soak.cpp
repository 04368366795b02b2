// The soak: the real clinicd on SQLite (scheduling, records, metrics, the
// demo clinic plus bench doctors) under a steady mixed load for
// SOAK_MINUTES (default 30): booking, cancelling, availability, patient
// search, logins (full password hashing) and metrics scrapes from
// SOAK_THREADS (default 6) keep-alive connections. Every minute one line:
// the requests and their p99, unexpected answers, and the daemon's resident
// memory, open descriptors and threads read from /proc. At the end the RSS
// growth from the end of minute 5 (or the first minute of a shorter run) to
// the last, and the spread of descriptors and threads. Run it with
// tests/bench/soak.sh; it fails only on a wrong answer, never on a figure.

#include <atomic>
#include <chrono>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "DemoClinicBooking.h"

using namespace clinic::test;
using namespace clinic::test::bench;

namespace {

struct ProcessFigures {
    long rssKb = 0;
    int fds = 0, threads = 0;
};

ProcessFigures readProcess(pid_t pid)
{
    ProcessFigures f;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            f.rssKb = std::stol(line.substr(6));
        else if (line.rfind("Threads:", 0) == 0)
            f.threads = std::stoi(line.substr(8));
    }
    if (DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
        while (const dirent* e = ::readdir(dir))
            f.fds += e->d_name[0] != '.';
        ::closedir(dir);
    }
    return f;
}

/// What the load threads share: the free slots, the bookings they may
/// cancel, and this minute's latencies.
struct Load {
    std::mutex lock;
    std::vector<Slot> free;
    std::vector<std::pair<long long, Slot>> booked; ///< appointment id, its slot
    std::vector<double> latencies;
    std::map<std::string, long> counts;
    long unexpected = 0;
    std::string firstUnexpected;

    void record(const std::string& what, double ms, bool ok, const std::string& detail)
    {
        std::lock_guard<std::mutex> g(lock);
        latencies.push_back(ms);
        ++counts[what];
        if (!ok && ++unexpected == 1)
            firstUnexpected = what + ": " + detail.substr(0, 300);
    }
};

} // namespace

int main()
{
    if (backend() != "sqlite") {
        std::cout << "soak: runs on SQLite only (CLINICD_TEST_BACKEND=sqlite)\n";
        return 0;
    }
    const int minutes = std::max(1, envInt("SOAK_MINUTES", 30));
    const int threadCount = std::max(1, envInt("SOAK_THREADS", 6));
    const int baselineMinute = std::min(5, minutes > 1 ? minutes - 1 : 1);
    try {
        TempDir work;
        auto options = demoClinicDaemon(work);
        options.config["plugins.load"] += ",metrics";
        Daemon d(options);
        const std::string db = demoClinicDatabase(work);
        auto demo = seedDemoClinic(d, db);
        Load load;
        std::vector<long long> patients;
        std::vector<DemoDoctor> doctors;
        {
            auto admin = d.adminClient();
            doctors = createBenchDoctors(admin, demo.front(), 8, 0, "soak");
            patients = createBenchPatients(admin, 40);
            load.free = freeSlots(admin, doctors);
        }
        std::shuffle(load.free.begin(), load.free.end(), std::mt19937(7));
        std::cout << "soak minutes=" << minutes << " threads=" << threadCount
                  << " free_slots=" << load.free.size() << " load_average=\""
                  << readFile("/proc/loadavg").substr(0, 14) << "\"" << std::endl;

        std::atomic<bool> stop {false};
        std::vector<std::thread> threads;
        for (int t = 0; t < threadCount; ++t)
            threads.emplace_back([&, t] {
                std::mt19937 rng(static_cast<unsigned>(t) + 1);
                // Signed in afresh by the login operations, and at least every
                // 10 minutes: an access token lives 15 (auth.access_ttl_seconds).
                HttpClient c = d.adminClient();
                auto signedIn = std::chrono::steady_clock::now();
                const long long today = static_cast<long long>(std::time(nullptr)) / 86400;
                while (!stop) {
                    int pick = static_cast<int>(rng() % 100);
                    if (std::chrono::steady_clock::now() - signedIn > std::chrono::minutes(10))
                        pick = 93; // a login
                    const auto t0 = std::chrono::steady_clock::now();
                    std::string what;
                    HttpResult r;
                    bool ok = false;
                    try {
                        if (pick < 30) {
                            what = "book";
                            Slot s;
                            {
                                std::lock_guard<std::mutex> g(load.lock);
                                if (load.free.empty())
                                    continue;
                                s = load.free.back();
                                load.free.pop_back();
                            }
                            r = c.post(
                                "/api/v1/appointments", bookingBody(patients[rng() % patients.size()], s));
                            // 409: that patient is booked elsewhere at that time.
                            ok = r.status == 201 || r.status == 409;
                            std::lock_guard<std::mutex> g(load.lock);
                            if (r.status == 201)
                                load.booked.emplace_back(r.json()->getValue<Poco::Int64>("id"), s);
                            else
                                load.free.push_back(s);
                        } else if (pick < 50) {
                            what = "cancel";
                            std::pair<long long, Slot> b;
                            {
                                std::lock_guard<std::mutex> g(load.lock);
                                if (load.booked.empty())
                                    continue;
                                const std::size_t k = rng() % load.booked.size();
                                b = load.booked[k];
                                load.booked[k] = load.booked.back();
                                load.booked.pop_back();
                            }
                            r = c.post("/api/v1/appointments/" + std::to_string(b.first) + "/cancel",
                                R"({"reason":"soak"})");
                            ok = r.status == 200;
                            std::lock_guard<std::mutex> g(load.lock);
                            if (ok)
                                load.free.push_back(b.second); // the slot is free again
                        } else if (pick < 75) {
                            what = "availability";
                            const DemoDoctor& doc = doctors[rng() % doctors.size()];
                            Slot s {doc.id, doc.service, ""};
                            const long long day = today + 1 + static_cast<long long>(rng() % 50);
                            r = c.get("/api/v1/availability?doctor_id=" + std::to_string(s.doctor)
                                + "&service_id=" + std::to_string(s.service) + "&from=" + isoDate(day)
                                + "&to=" + isoDate(day + 6));
                            ok = r.status == 200;
                        } else if (pick < 93) {
                            what = "patient_search";
                            static const char* kQueries[] = {"Bench", "Patient", "pop", "ion", "zz"};
                            r = c.get(std::string("/api/v1/patients?q=") + kQueries[rng() % 5] + "&limit=20");
                            ok = r.status == 200;
                        } else if (pick < 95) {
                            what = "login";
                            r = d.client().post("/api/v1/auth/login",
                                R"({"username":"harness.admin","password":"harness-admin-password-1"})");
                            if (r.status == 200) {
                                c.setDefaultHeaders({{"Authorization",
                                    "Bearer " + r.json()->getValue<std::string>("access_token")}});
                                signedIn = std::chrono::steady_clock::now();
                            }
                            // 429: more sign-ins of one account from one address in flight
                            // than the throttle's allowance (LoginThrottle counts each
                            // before its password is checked), as several threads here are.
                            if (r.status == 429)
                                what = "login_throttled";
                            ok = r.status == 200 || r.status == 429;
                        } else {
                            what = "metrics";
                            r = c.get("/metrics");
                            ok = r.status == 200
                                && r.body.find("clinicd_http_requests_total") != std::string::npos;
                        }
                    } catch (const std::exception& e) {
                        r.body = e.what();
                        c = d.client(); // a dropped connection: a new one, signed in next
                        signedIn = {};
                    }
                    load.record(what,
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                            .count(),
                        ok, std::to_string(r.status) + " " + r.body);
                }
            });

        std::vector<ProcessFigures> perMinute;
        long totalUnexpected = 0;
        for (int m = 1; m <= minutes; ++m) {
            std::this_thread::sleep_for(std::chrono::minutes(1));
            std::vector<double> latencies;
            std::map<std::string, long> counts;
            long unexpected = 0;
            std::string first;
            {
                std::lock_guard<std::mutex> g(load.lock);
                latencies.swap(load.latencies);
                counts.swap(load.counts);
                unexpected = load.unexpected;
                load.unexpected = 0;
                first.swap(load.firstUnexpected);
            }
            totalUnexpected += unexpected;
            const auto p = readProcess(d.pid());
            perMinute.push_back(p);
            std::cout << "soak minute=" << m << " requests=" << latencies.size()
                      << " p99_ms=" << percentile(latencies, 0.99) << " rss_mb=" << p.rssKb / 1024.0
                      << " fds=" << p.fds << " threads=" << p.threads << " unexpected=" << unexpected;
            for (const auto& [what, n] : counts)
                std::cout << " " << what << "=" << n;
            std::cout << std::endl;
            if (!first.empty())
                std::cout << "soak   first unexpected answer: " << first << std::endl;
        }
        stop = true;
        for (auto& th : threads)
            th.join();

        const auto& base = perMinute.at(static_cast<std::size_t>(baselineMinute - 1));
        const auto& last = perMinute.back();
        int fdMin = 1 << 30, fdMax = 0, thMin = 1 << 30, thMax = 0;
        for (std::size_t i = static_cast<std::size_t>(baselineMinute - 1); i < perMinute.size(); ++i) {
            fdMin = std::min(fdMin, perMinute[i].fds);
            fdMax = std::max(fdMax, perMinute[i].fds);
            thMin = std::min(thMin, perMinute[i].threads);
            thMax = std::max(thMax, perMinute[i].threads);
        }
        // RSS swings by tens of MB as malloc gives memory back: the peaks of the
        // two halves after the baseline say more about growth than two samples.
        long firstPeak = 0, lastPeak = 0;
        const std::size_t from = static_cast<std::size_t>(baselineMinute - 1);
        const std::size_t middle = from + (perMinute.size() - from) / 2;
        for (std::size_t i = from; i < perMinute.size(); ++i) {
            long& peak = i < middle ? firstPeak : lastPeak;
            peak = std::max(peak, perMinute[i].rssKb);
        }
        std::cout.precision(3);
        std::cout << "soak rss_growth_after_minute_" << baselineMinute << "_pct="
                  << 100.0 * static_cast<double>(last.rssKb - base.rssKb) / static_cast<double>(base.rssKb)
                  << " rss_mb=" << base.rssKb / 1024.0 << "->" << last.rssKb / 1024.0
                  << " rss_peak_mb_halves=" << firstPeak / 1024.0 << "->" << lastPeak / 1024.0
                  << " fds=" << fdMin << ".." << fdMax << " threads=" << thMin << ".." << thMax
                  << " unexpected=" << totalUnexpected
                  << " appointments=" << scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;")
                  << std::endl;
        if (totalUnexpected) {
            std::cout << "soak FAILED: " << totalUnexpected << " unexpected answers" << std::endl;
            return 1;
        }
    } catch (const std::exception& e) {
        std::cout << "soak FAILED: " << std::string(e.what()).substr(0, 500) << std::endl;
        return 1;
    }
    return 0;
}
