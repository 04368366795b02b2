// Two clinicd daemons on one MariaDB, 1,000 bookings spread over both from
// several clients at once: a stream on each daemon receives every booking,
// in change-id order, none twice; and a client that drops its stream for a
// while and comes back with Last-Event-ID misses nothing either.

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "MariaDbServer.h"
#include "StreamWorld.h"

using namespace clinic::test;

namespace {

constexpr int kBookings = 1000;
constexpr int kClients = 8;

/// Every id strictly above the one before: in order, none twice.
bool strictlyRising(const std::vector<std::int64_t>& ids)
{
    return std::adjacent_find(ids.begin(), ids.end(), [](auto a, auto b) { return a >= b; }) == ids.end();
}

} // namespace

class EventStreamTwoDaemonsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventStreamTwoDaemonsTest);
    CPPUNIT_TEST(aThousandBookingsOverTwoDaemonsReachAStreamOnEachInOrderOnce);
    CPPUNIT_TEST_SUITE_END();

public:
    void aThousandBookingsOverTwoDaemonsReachAStreamOnEachInOrderOnce()
    {
        TempDir dir;
        writeFile(dir.file("jwt.key"), "two-daemon-stream-test-signing-key-0123456789abcdef");
        ::chmod(dir.file("jwt.key").c_str(), 0600);
        const std::string url = MariaDbServer::shared().createDatabase("clinicd_stream_two");
        auto options = [&] {
            auto o = streamDaemonOptions();
            o.dbUrl = url;
            o.config["auth.jwt_secret_file"] = dir.file("jwt.key");
            o.config["http.threads"] = "32";
            o.config["db.pool.max"] = "64";
            return o;
        };
        ClinicFixture::Options fixture;
        fixture.daemon = options();
        fixture.accountPrefix = "two";
        fixture.roles = {"doctor", "nurse", "receptionist"};
        StreamWorld world(fixture);
        Daemon second(options());
        const int portA = world.clinic().daemon().port();
        const int portB = second.port();

        StreamClient onA(portA, world.clinic().account("receptionist").accessToken);
        StreamClient onB(portB, world.clinic().account("nurse").accessToken);
        auto flaky = std::make_unique<StreamClient>(portB, world.clinic().account("doctor").accessToken);
        CPPUNIT_ASSERT(onA.waitOpened() && onB.waitOpened() && flaky->waitOpened());

        std::mutex mutex;
        std::vector<std::int64_t> booked;
        std::vector<std::string> failures;
        std::atomic<int> next {0};
        std::vector<std::thread> clients;
        const auto started = std::chrono::steady_clock::now();
        for (int c = 0; c < kClients; ++c) {
            clients.emplace_back([&, c] {
                HttpClient client("127.0.0.1", c % 2 ? portB : portA);
                for (;;) {
                    const int n = next++;
                    if (n >= kBookings)
                        return;
                    const std::string body = R"({"patient_id":)" + std::to_string(world.otherPatient())
                        + R"(,"doctor_id":)" + std::to_string(world.doctor()) + R"(,"service_id":)"
                        + std::to_string(world.service()) + R"(,"start":")" + world.nextSlot() + "\"}";
                    auto r = client.post("/api/v1/appointments", body, world.clinic().as("receptionist"));
                    std::lock_guard<std::mutex> lock(mutex);
                    if (r.status == 201)
                        booked.push_back(r.json()->getValue<Poco::Int64>("id"));
                    else
                        failures.push_back(std::to_string(r.status) + " " + r.body);
                }
            });
        }
        // The flaky client drops after 200 bookings and comes back 300 later.
        CPPUNIT_ASSERT(
            flaky->waitFor([](const auto& events) { return bookedAppointments(events).size() >= 200; },
                std::chrono::seconds(60)));
        flaky->close();
        CPPUNIT_ASSERT(flaky->waitClosed());
        const auto before = flaky->events();
        const std::int64_t resumeFrom = flaky->lastId();
        CPPUNIT_ASSERT(eventually(
            [&] {
                return onB.eventsOf("appointment.booked").size() >= bookedAppointments(before).size() + 300;
            },
            std::chrono::seconds(60)));
        StreamClient back(portB, world.clinic().account("doctor").accessToken, resumeFrom);
        for (auto& t : clients)
            t.join();
        const double bookingSeconds
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        CPPUNIT_ASSERT_MESSAGE(failures.empty() ? "" : failures.front(), failures.empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t(kBookings), booked.size());
        const std::set<std::int64_t> all(booked.begin(), booked.end());

        for (StreamClient* s : {&onA, &onB, &back}) {
            CPPUNIT_ASSERT_MESSAGE(s->text().substr(0, 400),
                s->waitFor(
                    [&](const auto& events) {
                        return bookedAppointments(events).size()
                            >= (s == &back ? kBookings - bookedAppointments(before).size() : kBookings);
                    },
                    std::chrono::seconds(60)));
        }
        for (StreamClient* s : {&onA, &onB}) {
            const auto got = bookedAppointments(s->events());
            CPPUNIT_ASSERT_EQUAL(std::size_t(kBookings), got.size());
            CPPUNIT_ASSERT(std::set<std::int64_t>(got.begin(), got.end()) == all);
            CPPUNIT_ASSERT(strictlyRising(idsOf(s->events())));
        }
        // Both daemons' streams carried the same changes under the same ids.
        CPPUNIT_ASSERT(
            idsOf(onA.eventsOf("appointment.booked")) == idsOf(onB.eventsOf("appointment.booked")));
        // The dropped client: what it saw, then what it resumed with, is everything once.
        auto joined = before;
        const auto after = back.events();
        joined.insert(joined.end(), after.begin(), after.end());
        const auto got = bookedAppointments(joined);
        CPPUNIT_ASSERT_EQUAL(std::size_t(kBookings), got.size());
        CPPUNIT_ASSERT(std::set<std::int64_t>(got.begin(), got.end()) == all);
        CPPUNIT_ASSERT(strictlyRising(idsOf(joined)));
        std::cout << "\n  " << kBookings << " bookings in " << bookingSeconds << " s over two daemons, "
                  << bookedAppointments(before).size() << " seen before the drop, resumed after change "
                  << resumeFrom << std::endl;
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventStreamTwoDaemonsTest);
