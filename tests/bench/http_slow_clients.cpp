// Bookings beside slow clients, through the real clinicd on the demo clinic
// (SQLite): 16 keep-alive connections book distinct free slots at a steady
// pace for HTTP_SLOW_SECONDS (default 15) twice in one process, first quiet,
// then while 64 connections drip a request head one byte a second and 64
// drip a body one byte a second (each reconnecting once refused). Prints the
// bookings' p50/p99 of both runs and their ratio, and how the slow
// connections ended.
//
// Fails (exit 1) only on a wrong answer: a slow connection not closed with
// 408 by its deadline (+1.5 s), or a booking lost or doubled; never on time.
// Run it with tests/bench/http_slow_clients.sh.

#include <atomic>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "DemoClinicBooking.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace clinic::test::bench;
using namespace std::chrono_literals;

namespace {

constexpr int kBookers = 16;
constexpr int kSlowHeads = 64;
constexpr int kSlowBodies = 64;
/// Short, so each slow client is refused several times in one run.
constexpr int kHeaderTimeoutSeconds = 5;
constexpr int kBodyMinBytesPerSecond = 1024;
constexpr int kBodyLength = 1000;
constexpr double kSlackMs = 1500;
/// Each booker books once per this: the figure is latency, not throughput.
constexpr auto kBookingInterval = 300ms;

struct BookingRun {
    std::vector<double> ms;
    long long created = 0, unsure = 0, refused = 0;
    std::string firstFailure;
};

/// kBookers threads book slots[from..] at a steady pace for duration.
BookingRun book(Daemon& d, const std::vector<long long>& patients, const std::vector<Slot>& slots,
    std::size_t& next, std::chrono::seconds duration)
{
    BookingRun run;
    std::mutex lock;
    std::vector<HttpClient> clients;
    for (int t = 0; t < kBookers; ++t) {
        clients.push_back(d.adminClient());
        clients.back().setTimeout(20);
    }
    const auto until = std::chrono::steady_clock::now() + duration;
    std::vector<std::thread> threads;
    for (int t = 0; t < kBookers; ++t)
        threads.emplace_back([&, t] {
            auto due = std::chrono::steady_clock::now() + kBookingInterval * t / kBookers;
            while (std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_until(due);
                std::size_t i;
                {
                    std::lock_guard<std::mutex> g(lock);
                    if (next >= slots.size())
                        return;
                    i = next++;
                }
                const auto t0 = std::chrono::steady_clock::now();
                HttpResult r;
                try {
                    r = clients[static_cast<std::size_t>(t)].post(
                        "/api/v1/appointments", bookingBody(patients[static_cast<std::size_t>(t)], slots[i]));
                } catch (const std::exception& e) {
                    r.status = -1;
                    r.body = e.what();
                }
                const double ms = millisSince(t0);
                std::lock_guard<std::mutex> g(lock);
                run.ms.push_back(ms);
                if (r.status == 201) {
                    ++run.created;
                } else {
                    // No answer, or 409 SLOT_TAKEN after the client's own
                    // retry of a request that may have been stored.
                    if (r.status == -1 || r.status == 409)
                        ++run.unsure;
                    else
                        ++run.refused;
                    if (run.firstFailure.empty())
                        run.firstFailure = std::to_string(r.status) + " " + r.body.substr(0, 200);
                }
                due = std::max(due + kBookingInterval, std::chrono::steady_clock::now());
            }
        });
    for (auto& th : threads)
        th.join();
    return run;
}

struct SlowFigures {
    std::atomic<long> refusedInTime {0}, late {0}, closedUnanswered {0}, wrongAnswer {0}, unusable {0};
    std::mutex lock;
    std::vector<double> msPastDeadline;
    std::string firstProblem;
};

/// Counts how one slow connection ended; false if it did not end in a 408.
bool recordSlow(SlowFigures& f, const TrickleOutcome& o, double deadlineMs, const char* kind)
{
    if (o.stopped)
        return true; // cut short by the end of the run
    std::string problem;
    if (!o.failure.empty()) {
        ++f.unusable;
        problem = o.failure;
    } else if (o.status == 408 && o.code == "REQUEST_TIMEOUT" && o.closed
        && o.answeredAfterMs <= deadlineMs + kSlackMs) {
        ++f.refusedInTime;
    } else if (o.status == 0 && o.closed) {
        ++f.closedUnanswered;
        problem = "closed without an answer after " + std::to_string(static_cast<long>(o.answeredAfterMs))
            + " ms";
    } else if (o.status == 0) {
        ++f.late;
        problem = "no answer by the deadline + 1.5 s";
    } else {
        ++f.wrongAnswer;
        problem = "answered " + std::to_string(o.status) + " " + o.code + (o.closed ? "" : ", left open");
    }
    std::lock_guard<std::mutex> g(f.lock);
    if (o.status != 0)
        f.msPastDeadline.push_back(o.answeredAfterMs - deadlineMs);
    if (!problem.empty() && f.firstProblem.empty())
        f.firstProblem = std::string(kind) + ": " + problem;
    return problem.empty();
}

void print(const char* name, const BookingRun& r, double seconds)
{
    std::cout << "http_slow_clients " << name << " bookings=" << r.created << " unsure=" << r.unsure
              << " refused=" << r.refused << " seconds=" << seconds << " p50_ms=" << percentile(r.ms, 0.50)
              << " p99_ms=" << percentile(r.ms, 0.99) << " max_ms=" << percentile(r.ms, 1.0) << std::endl;
}

} // namespace

int main()
{
    if (backend() != "sqlite") {
        std::cout << "http_slow_clients: SQLite only (CLINICD_TEST_BACKEND=" << backend() << ")\n";
        return 0;
    }
    const auto duration = std::chrono::seconds(envInt("HTTP_SLOW_SECONDS", 15));
    std::cout.setf(std::ios::fixed);
    std::cout.precision(2);
    try {
        raiseOpenFileLimit(4096);
        TempDir work;
        const std::string db = demoClinicDatabase(work);
        auto options = demoClinicDaemon(work);
        options.config["http.header_timeout_seconds"] = std::to_string(kHeaderTimeoutSeconds);
        options.config["http.body_min_bytes_per_second"] = std::to_string(kBodyMinBytesPerSecond);
        options.config["http.max_connections_per_client"] = "1024"; // every client here is 127.0.0.1
        Daemon d(options);
        const auto doctors = seedDemoClinic(d, db);
        std::vector<long long> patients;
        std::vector<Slot> slots;
        {
            auto admin = d.adminClient();
            patients = createBenchPatients(admin, kBookers);
            slots = freeSlots(admin, doctors);
        }
        std::mt19937 rng(7);
        std::shuffle(slots.begin(), slots.end(), rng);
        std::cout << "http_slow_clients free_slots=" << slots.size() << " bookers=" << kBookers
                  << " interval_ms=" << std::chrono::milliseconds(kBookingInterval).count()
                  << " seconds_per_run=" << duration.count() << std::endl;
        std::size_t next = 0;

        auto t0 = std::chrono::steady_clock::now();
        const BookingRun quiet = book(d, patients, slots, next, duration);
        print("quiet", quiet, secondsSince(t0));

        const double headDeadline = kHeaderTimeoutSeconds * 1000.0;
        const double bodyDeadline
            = kHeaderTimeoutSeconds * 1000.0 + 1000.0 * kBodyLength / kBodyMinBytesPerSecond;
        const std::string bodyHead = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                     "Content-Type: application/json\r\nContent-Length: "
            + std::to_string(kBodyLength) + "\r\n\r\n";
        SlowFigures heads, bodies;
        std::atomic<bool> stop {false};
        std::vector<std::thread> slow;
        for (int i = 0; i < kSlowHeads + kSlowBodies; ++i)
            slow.emplace_back([&, i] {
                while (!stop) {
                    bool refused = false;
                    if (i < kSlowHeads)
                        refused = recordSlow(heads,
                            trickleHead(d.port(), 1000ms,
                                std::chrono::milliseconds(static_cast<long>(headDeadline + kSlackMs)), &stop),
                            headDeadline, "head");
                    else
                        refused = recordSlow(bodies,
                            trickleBody(d.port(), bodyHead, 1000ms,
                                std::chrono::milliseconds(static_cast<long>(bodyDeadline + kSlackMs)), &stop),
                            bodyDeadline, "body");
                    // A daemon that drops them at once is not hammered with reconnects.
                    if (!refused)
                        std::this_thread::sleep_for(1s);
                }
            });
        t0 = std::chrono::steady_clock::now();
        const BookingRun loaded = book(d, patients, slots, next, duration);
        const double loadedSeconds = secondsSince(t0);
        const auto footprint = footprintOf(d.pid());
        stop = true;
        for (auto& th : slow)
            th.join();
        print("with_slow_clients", loaded, loadedSeconds);
        std::cout << "http_slow_clients p99_ratio="
                  << percentile(loaded.ms, 0.99) / percentile(quiet.ms, 0.99)
                  << " p50_ratio=" << percentile(loaded.ms, 0.50) / percentile(quiet.ms, 0.50)
                  << " daemon_threads=" << footprint.threads << " daemon_rss_kib=" << footprint.rssKiB
                  << std::endl;
        for (auto* f : {&heads, &bodies})
            std::cout << "http_slow_clients slow_" << (f == &heads ? "heads" : "bodies")
                      << " connections=" << kSlowHeads << " refused_408_in_time=" << f->refusedInTime
                      << " late=" << f->late << " closed_unanswered=" << f->closedUnanswered
                      << " wrong_answer=" << f->wrongAnswer << " unusable=" << f->unusable
                      << " ms_past_deadline_p50=" << percentile(f->msPastDeadline, 0.50)
                      << " max=" << percentile(f->msPastDeadline, 1.0) << std::endl;

        // Correctness, after the figures are out.
        const long long stored
            = checkBookingsStored(db, quiet.created + loaded.created, quiet.unsure + loaded.unsure);
        std::cout << "http_slow_clients stored=" << stored << std::endl;
        check(quiet.refused + loaded.refused == 0,
            "bookings refused; first: "
                + (quiet.firstFailure.empty() ? loaded.firstFailure : quiet.firstFailure));
        for (auto* f : {&heads, &bodies}) {
            check(f->late + f->closedUnanswered + f->wrongAnswer + f->unusable == 0 && f->refusedInTime > 0,
                "slow connections not closed with 408 by their deadline ("
                    + std::to_string(f->refusedInTime.load()) + " were); first: " + f->firstProblem);
        }
        check(quiet.unsure + loaded.unsure == 0,
            "bookings without a clear answer; first: "
                + (quiet.firstFailure.empty() ? loaded.firstFailure : quiet.firstFailure));
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        std::cout << "http_slow_clients FAILED: " << std::string(e.what()).substr(0, 500) << std::endl;
        return 1;
    }
    return 0;
}
