// Live-update fan-out: STREAMS open event streams on one clinicd while
// four clients book as fast as they can for SECONDS. Prints bookings/s and,
// over every (booking, stream) pair, the time from the booking's 201
// reaching its client to the event's arrival on the stream: p50, p99, max
// (negative: the event beat the answer). Figures only, never a verdict.
//
//   CLINICD_TEST_BACKEND=sqlite|mariadb build/bin/stream_fanout
//   STREAM_BENCH_STREAMS (default 100), STREAM_BENCH_SECONDS (default 15)

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "StreamWorld.h"

using namespace clinic::test;
using Clock = std::chrono::steady_clock;

namespace {

int envInt(const char* name, int fallback)
{
    const char* v = std::getenv(name);
    return v ? std::atoi(v) : fallback;
}

} // namespace

class StreamFanout : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StreamFanout);
    CPPUNIT_TEST(measure);
    CPPUNIT_TEST_SUITE_END();

public:
    void measure();
};

void StreamFanout::measure()
{
    const int streams = envInt("STREAM_BENCH_STREAMS", 100);
    const int seconds = envInt("STREAM_BENCH_SECONDS", 15);
    constexpr int kBookers = 4;
    constexpr int kDoctors = 8;
    {
        ClinicFixture::Options o;
        o.daemon = streamDaemonOptions();
        o.daemon.config["events.max_streams_per_user"] = std::to_string(std::max(streams, 1));
        o.daemon.config["events.max_streams"] = std::to_string(streams + 10);
        o.accountPrefix = "bench";
        o.roles = {"receptionist"};
        ClinicFixture clinic(o);
        auto& admin = clinic.client();
        const auto location = clinic.newLocation("Europe/Bucharest");
        const auto service = clinic.newService(15, "Bench consult");
        const auto patient = clinic.newPatient(
            R"({"first_name":"Bench","last_name":"Patient",)"
            R"("birth_date":"1970-01-01","sex":"female","phone":"+40 700 000 009","force":true})");
        std::vector<std::int64_t> doctors;
        for (int d = 0; d < kDoctors; ++d) {
            const auto doctor
                = clinic.newDoctor(location, {service}, "cardiology", "Dr. Bench " + std::to_string(d));
            std::string hours;
            for (int day = 1; day <= 7; ++day)
                hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
                    + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
            admin.request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[" + hours + "]",
                clinic.as("admin"));
            doctors.push_back(doctor);
        }
        const std::string token = clinic.account("receptionist").accessToken;
        std::vector<std::unique_ptr<StreamClient>> clients;
        for (int i = 0; i < streams; ++i)
            clients.push_back(std::make_unique<StreamClient>(clinic.daemon().port(), token));
        for (auto& c : clients)
            if (!c->waitOpened())
                CPPUNIT_FAIL("a stream did not open: " + c->text().substr(0, 300));

        std::mutex mutex;
        std::map<std::int64_t, Clock::time_point> answered; // appointment -> its 201
        std::atomic<int> next {0};
        std::atomic<bool> stop {false};
        std::vector<std::thread> bookers;
        const auto started = Clock::now();
        for (int b = 0; b < kBookers; ++b) {
            bookers.emplace_back([&] {
                HttpClient client("127.0.0.1", clinic.daemon().port());
                while (!stop) {
                    const int n = next++;
                    const int doctor = n % kDoctors, k = n / kDoctors;
                    const int day = 2 + k / 48, minute = 8 * 60 + (k % 48) * 15;
                    if (day > 28)
                        return;
                    char start[40];
                    std::snprintf(start, sizeof start, "2027-01-%02dT%02d:%02d:00+02:00", day, minute / 60,
                        minute % 60);
                    const std::string body = R"({"patient_id":)" + std::to_string(patient)
                        + R"(,"doctor_id":)" + std::to_string(doctors[static_cast<std::size_t>(doctor)])
                        + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + start + "\"}";
                    auto r = client.post("/api/v1/appointments", body, clinic.as("receptionist"));
                    const auto at = Clock::now();
                    if (r.status == 201) {
                        std::lock_guard<std::mutex> lock(mutex);
                        answered[r.json()->getValue<Poco::Int64>("id")] = at;
                    }
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        stop = true;
        for (auto& t : bookers)
            t.join();
        const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const std::size_t booked = answered.size();
        // Everything booked must arrive everywhere; wait for it (bounded).
        for (auto& c : clients)
            c->waitFor([&](const auto& events) { return bookedAppointments(events).size() >= booked; },
                std::chrono::seconds(30));
        std::vector<double> lags;
        std::size_t missing = 0;
        for (auto& c : clients) {
            std::size_t got = 0;
            for (const auto& e : c->eventsOf("appointment.booked")) {
                auto it = answered.find(e.json()->getValue<Poco::Int64>("appointment_id"));
                if (it == answered.end())
                    continue;
                ++got;
                lags.push_back(std::chrono::duration<double, std::milli>(e.arrived - it->second).count());
            }
            missing += booked - got;
        }
        std::sort(lags.begin(), lags.end());
        auto pct = [&](double p) {
            return lags.empty() ? 0.0
                                : lags[std::min(lags.size() - 1, static_cast<std::size_t>(p * lags.size()))];
        };
        std::printf("\nstream_fanout backend=%s streams=%d bookings=%zu bookings_per_s=%.1f deliveries=%zu "
                    "missing=%zu "
                    "lag_ms_p50=%.1f lag_ms_p99=%.1f lag_ms_max=%.1f\n",
            backend().c_str(), streams, booked, booked / elapsed, lags.size(), missing, pct(0.5), pct(0.99),
            lags.empty() ? 0.0 : lags.back());
    }
}

CPPUNIT_TEST_SUITE_REGISTRATION(StreamFanout);
