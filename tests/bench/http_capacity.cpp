// Capacity of the HTTP front end with a clinic's worth of open connections,
// through the real clinicd: 500 idle keep-alive connections (terminals and
// console tabs between requests) and 200 further long-lived idle ones
// (stand-ins for event streams) stay open while 16 connections send
// authenticated GET /api/v1/auth/me as fast as they are answered for
// HTTP_CAPACITY_SECONDS (default 15). Prints requests/s, p50/p99/max latency,
// and the daemon's thread count and RSS with those connections open.
//
// Fails (exit 1) only on a wrong answer: any request not answered 200, or
// fewer than 1,000 requests in the run; never on time. Run it with
// tests/bench/http_capacity.sh.

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "DemoClinicBooking.h"
#include "RawHttp.h"

using namespace clinic::test;
using namespace clinic::test::bench;
using namespace std::chrono_literals;

namespace {

constexpr int kKeptAlive = 500;
constexpr int kLongLived = 200;
constexpr int kLoadConnections = 16;

} // namespace

int main()
{
    const auto duration = std::chrono::seconds(envInt("HTTP_CAPACITY_SECONDS", 15));
    std::cout.setf(std::ios::fixed);
    std::cout.precision(2);
    try {
        // The daemon inherits this limit: both ends hold 700+ sockets.
        const long files = raiseOpenFileLimit(8192);
        check(files >= kKeptAlive + kLongLived + 300,
            "cannot raise RLIMIT_NOFILE past " + std::to_string(files));
        Daemon::Options o;
        o.config["log.level"] = "warning";
        o.config["http.keep_alive_seconds"] = "300";
        // The 16 load connections share one admin session, where a clinic's
        // terminals each have their own: the per-session request limit
        // (600/min) would measure the limiter, not the front end.
        o.config["auth.rate_limit_per_minute"] = "0";
        o.config["http.max_connections_per_client"] = "2048"; // every client here is 127.0.0.1
        Daemon d(o);
        const auto idle = footprintOf(d.pid());
        {
            auto admin = d.adminClient();
            auto me = admin.get("/api/v1/auth/me");
            check(me.status == 200,
                "GET /api/v1/auth/me answered " + std::to_string(me.status) + " " + me.body);
        }

        // Open the idle set; all keep-alive requests go out together and are
        // collected with one deadline.
        auto t0 = std::chrono::steady_clock::now();
        std::vector<RawConnection> keptAlive;
        for (int i = 0; i < kKeptAlive; ++i) {
            keptAlive.emplace_back(d.port());
            keptAlive.back().send(getRequest("/health/live"));
        }
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        int answered = 0;
        for (auto& c : keptAlive) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto r = c.readResponse(std::max(left, 1ms));
            answered += r && r->status == 200;
        }
        std::vector<RawConnection> longLived;
        for (int i = 0; i < kLongLived; ++i)
            longLived.emplace_back(d.port());
        std::cout << "http_capacity kept_alive=" << kKeptAlive << " answered=" << answered
                  << " long_lived=" << kLongLived << " opened_in_s=" << secondsSince(t0) << std::endl;

        std::vector<HttpClient> clients;
        for (int t = 0; t < kLoadConnections; ++t) {
            clients.push_back(d.adminClient());
            clients.back().setTimeout(10);
        }
        std::mutex lock;
        std::vector<double> ms;
        long long ok = 0, failed = 0;
        std::string firstFailure;
        const auto until = std::chrono::steady_clock::now() + duration;
        std::vector<std::thread> threads;
        t0 = std::chrono::steady_clock::now();
        for (int t = 0; t < kLoadConnections; ++t)
            threads.emplace_back([&, t] {
                std::vector<double> mine;
                long long good = 0, bad = 0;
                std::string failure;
                while (std::chrono::steady_clock::now() < until) {
                    const auto s = std::chrono::steady_clock::now();
                    int status = -1;
                    try {
                        auto r = clients[static_cast<std::size_t>(t)].get("/api/v1/auth/me");
                        status = r.status;
                        if (status != 200 && failure.empty())
                            failure = std::to_string(status) + " " + r.body.substr(0, 200);
                    } catch (const std::exception& e) {
                        if (failure.empty())
                            failure = e.what();
                    }
                    if (status == 200) {
                        mine.push_back(millisSince(s));
                        ++good;
                    } else {
                        // Back off, so a refusing daemon is not spun against on a shared machine.
                        ++bad;
                        std::this_thread::sleep_for(10ms);
                    }
                }
                std::lock_guard<std::mutex> g(lock);
                ms.insert(ms.end(), mine.begin(), mine.end());
                ok += good;
                failed += bad;
                if (firstFailure.empty())
                    firstFailure = failure;
            });
        // Sampled mid-run, with every connection open and the load running.
        std::this_thread::sleep_for(duration / 2);
        const auto loaded = footprintOf(d.pid());
        for (auto& th : threads)
            th.join();
        const double seconds = secondsSince(t0);
        int stillOpen = 0;
        for (auto& c : keptAlive)
            stillOpen += !c.closedWithin(0ms);
        for (auto& c : longLived)
            stillOpen += !c.closedWithin(0ms);

        std::cout << "http_capacity requests=" << ok + failed << " ok=" << ok << " failed=" << failed
                  << " connections=" << kLoadConnections << " seconds=" << seconds
                  << " ok_per_s=" << static_cast<double>(ok) / seconds
                  << " ok_p50_ms=" << percentile(ms, 0.50) << " ok_p99_ms=" << percentile(ms, 0.99)
                  << " ok_max_ms=" << percentile(ms, 1.0) << std::endl;
        std::cout << "http_capacity daemon_threads idle=" << idle.threads << " loaded=" << loaded.threads
                  << " rss_kib idle=" << idle.rssKiB << " loaded=" << loaded.rssKiB
                  << " idle_connections_still_open=" << stillOpen << "/" << kKeptAlive + kLongLived
                  << std::endl;
        check(failed == 0, std::to_string(failed) + " requests not answered 200; first: " + firstFailure);
        check(ok >= 1000, "only " + std::to_string(ok) + " requests in " + std::to_string(seconds) + " s");
        check(answered == kKeptAlive,
            std::to_string(kKeptAlive - answered) + " keep-alive connections got no answer within 20 s");
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        std::cout << "http_capacity FAILED: " << std::string(e.what()).substr(0, 500) << std::endl;
        return 1;
    }
    return 0;
}
