// A booking answered 201 survives the daemon's sudden death, and nothing
// half-written does: clinicd is killed with SIGKILL in the middle of a
// 16-connection booking run, ten times at random moments, and after each
// restart every booking answered 201 is stored with its occupancy cells, its
// audit row and its notice job, and no occupancy cell lacks its appointment
// nor an active appointment its cells. On SQLite, where the writer queue
// commits concurrent bookings as one group (one fsync for several 201s).

#include <cppunit/extensions/HelperMacros.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "DemoClinicBooking.h"
#include "TestSupport.h"

using namespace clinic::test;
using namespace clinic::test::bench;

namespace {

constexpr int kConnections = 16;
constexpr int kKills = 10;

class BookingCrashTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BookingCrashTest);
    CPPUNIT_TEST(everyBookingAnswered201SurvivesSigkillAndNothingHalfWrittenRemains);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyBookingAnswered201SurvivesSigkillAndNothingHalfWrittenRemains()
    {
        if (backend() != "sqlite")
            return;
        TempDir work;
        const std::string db = demoClinicDatabase(work);
        std::vector<Slot> slots;
        std::vector<long long> patients;
        {
            Daemon d(demoClinicDaemon(work));
            const auto demo = seedDemoClinic(d, db);
            auto admin = d.adminClient();
            const auto doctors = createBenchDoctors(admin, demo.front(), 8, 0, "crash test");
            patients = createBenchPatients(admin, kConnections);
            slots = freeSlots(admin, doctors);
        }
        std::mt19937 rng(std::random_device {}());
        std::shuffle(slots.begin(), slots.end(), rng);
        std::size_t next = 0;
        long long confirmed = 0;
        for (int kill = 0; kill < kKills; ++kill) {
            Daemon d(demoClinicDaemon(work));
            std::vector<HttpClient> clients;
            for (int t = 0; t < kConnections; ++t)
                clients.push_back(d.adminClient());
            std::atomic<std::size_t> cursor {next};
            std::atomic<bool> stop {false};
            std::mutex answeredLock;
            std::vector<long long> answered; // ids of the 201s
            std::vector<std::thread> threads;
            for (int t = 0; t < kConnections; ++t)
                threads.emplace_back([&, t] {
                    auto& c = clients[static_cast<std::size_t>(t)];
                    c.setTimeout(5);
                    while (!stop) {
                        const std::size_t k = cursor++;
                        if (k >= slots.size())
                            return;
                        try {
                            auto r = c.post("/api/v1/appointments",
                                bookingBody(patients[static_cast<std::size_t>(t)], slots[k]));
                            if (r.status == 201) {
                                std::lock_guard<std::mutex> lock(answeredLock);
                                answered.push_back(r.json()->getValue<Poco::Int64>("id"));
                            } else if (r.status > 0) {
                                // Refused in the daemon's last instants
                                // (it may already be going down): nothing of
                                // it may be stored, which the checks below see.
                            }
                        } catch (const std::exception&) {
                            return; // the daemon is gone
                        }
                    }
                });
            const auto until = std::chrono::milliseconds(std::uniform_int_distribution<int>(150, 1200)(rng));
            // Some bookings must be under way when the kill comes.
            CPPUNIT_ASSERT(eventually(
                [&] {
                    std::lock_guard<std::mutex> lock(answeredLock);
                    return answered.size() >= 4;
                },
                std::chrono::seconds(20)));
            std::this_thread::sleep_for(until);
            d.signal(SIGKILL);
            stop = true;
            for (auto& th : threads)
                th.join();
            d.waitExit(10);
            next = cursor.load();
            CPPUNIT_ASSERT_MESSAGE("the free slots ran out", next < slots.size());

            // The database as the next start will find it: of the bookings
            // answered 201, how many lack their row, their cells, their
            // audit row, their notice job (one query, all zero).
            std::string ids;
            for (long long id : answered)
                ids += (ids.empty() ? "(" : ", (") + std::to_string(id) + ")";
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                "kill " + std::to_string(kill) + ": missing rows, cells, audit rows, jobs",
                std::string("0|0|0|0"),
                sqlite(db,
                    "WITH ok(id) AS (VALUES " + ids
                        + ") SELECT"
                          " (SELECT COUNT(*) FROM ok WHERE ok.id NOT IN (SELECT id FROM "
                          "scheduling_appointments)),"
                          " (SELECT COUNT(*) FROM ok JOIN scheduling_appointments a ON a.id = ok.id WHERE "
                          "(SELECT"
                          " COUNT(*) FROM scheduling_occupancy o WHERE o.appointment_id = a.id)"
                          " <> (a.end_utc - 1) / 300 - a.start_utc / 300 + 1),"
                          " (SELECT COUNT(*) FROM ok WHERE ok.id NOT IN (SELECT CAST(object_id AS INTEGER) "
                          "FROM"
                          " audit_log WHERE action = 'appointment.create')),"
                          " (SELECT COUNT(*) FROM ok WHERE 'notice:appointment:' || ok.id || ':booked:0' NOT "
                          "IN"
                          " (SELECT idempotency_key FROM jobs));"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("no cell without its appointment", 0LL,
                scalar(db,
                    "SELECT COUNT(*) FROM scheduling_occupancy o WHERE NOT EXISTS (SELECT 1 FROM "
                    "scheduling_appointments a WHERE a.id = o.appointment_id);"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("no appointment without its cells", 0LL,
                scalar(db,
                    "SELECT COUNT(*) FROM scheduling_appointments a WHERE a.status IN ('pending',"
                    " 'confirmed', 'checked_in') AND (SELECT COUNT(*) FROM scheduling_occupancy o WHERE"
                    " o.appointment_id = a.id) <> (a.end_utc - 1) / 300 - a.start_utc / 300 + 1;"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE("one audit row per stored booking",
                scalar(db, "SELECT COUNT(*) FROM scheduling_appointments;"),
                scalar(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'appointment.create';"));
            confirmed += static_cast<long long>(answered.size());
        }
        std::cout << "\n  " << confirmed << " bookings answered 201 across " << kKills << " kills, all stored"
                  << std::flush;
    }
};

} // namespace

CPPUNIT_TEST_SUITE_REGISTRATION(BookingCrashTest);
