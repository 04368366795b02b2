// No double booking under real concurrency: many clients, each on its own
// connection and thread, released together against the real clinicd (and,
// on MariaDB, against two daemons sharing one database). Every race must end
// with exactly one winner, every loser answered 409 SLOT_TAKEN, and the
// database holding one appointment and its occupancy cells per slot.
//
// The daemon runs with no rules (an empty rules.dir, so no notice rule
// interferes) and enough HTTP workers and database sessions for every
// client's keep-alive connection to be served at once. Round timings are
// printed for information only.

#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <Poco/File.h>
#include <Poco/JSON/Object.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

constexpr int kClients = 64;
constexpr int kRounds = 50;
const std::string kJwtSecret = "booking-race-test-signing-key-0123456789abcdef";

/// What the crowd's clients get from the daemon(s): enough workers for every
/// keep-alive connection (each holds a worker while open) and enough pooled
/// sessions for a booking's few sessions each.
Daemon::Options daemonOptions(const std::string& rulesDir, const std::string& keyFile)
{
    Daemon::Options o;
    o.config["plugins.load"] = "records,scheduling";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.config["rules.dir"] = rulesDir;
    o.config["auth.jwt_secret_file"] = keyFile;
    o.config["http.threads"] = "96";
    o.config["http.queue"] = "256";
    o.config["db.pool.max"] = "192";
    o.config["log.level"] = "information";
    return o;
}

struct World {
    std::unique_ptr<TempDir> dir; ///< the empty rules.dir and the shared JWT key
    std::unique_ptr<ClinicFixture> clinic; ///< the admin and the "desk" receptionist
    std::unique_ptr<Daemon> second; ///< MariaDB only: another clinicd on the same database
    std::vector<std::int64_t> patients;
};

World& world()
{
    static World w;
    if (w.clinic)
        return w;
    w.dir = std::make_unique<TempDir>();
    Poco::File(w.dir->file("rules")).createDirectories();
    writeFile(w.dir->file("jwt.key"), kJwtSecret);
    ::chmod(w.dir->file("jwt.key").c_str(), 0600);
    ClinicFixture::Options o;
    o.daemon = daemonOptions(w.dir->file("rules"), w.dir->file("jwt.key"));
    o.adminUsername = "race.admin";
    o.roles = {};
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.clinic->addAccount("desk", "race.desk", "receptionist");
    for (int i = 0; i < 8; ++i)
        w.patients.push_back(w.clinic->newPatient(R"({"first_name":"Race","last_name":"Patient)"
            + std::string(1, static_cast<char>('A' + i)) + R"(","birth_date":"1980-01-0)"
            + std::to_string(1 + i) + R"(","sex":"female","phone":"+40 700 000 10)" + std::to_string(i)
            + R"(","force":true})"));
    return w;
}

std::map<std::string, std::string> admin()
{
    return world().clinic->as("admin");
}

std::string sql(const std::string& statement)
{
    return world().clinic->sql(statement);
}

long scalar(const std::string& statement)
{
    const std::string out = sql(statement);
    try {
        return std::stol(out);
    } catch (const std::exception&) {
        CPPUNIT_FAIL("not a number from \"" + statement + "\": " + out);
    }
    return -1;
}

std::int64_t newService(int minutes)
{
    return world().clinic->newService(minutes, "Race " + std::to_string(minutes), 20000);
}

/// A doctor offering the services at a Bucharest location, working every
/// day 08:00-20:00.
std::int64_t newDoctor(const std::vector<std::int64_t>& services)
{
    auto& clinic = *world().clinic;
    const auto location = clinic.newLocation("Europe/Bucharest");
    const auto doctor = clinic.newDoctor(location, services, "cardiology", "Dr. Race");
    std::string hours;
    for (int day = 1; day <= 7; ++day)
        hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
    auto r = clinic.client().request(
        "PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[" + hours + "]", admin());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return doctor;
}

/// January 2027 in Bucharest is UTC+02:00.
std::string bucharest(int day, int minuteOfDay)
{
    char text[40];
    std::snprintf(
        text, sizeof text, "2027-01-%02dT%02d:%02d:00+02:00", day, minuteOfDay / 60, minuteOfDay % 60);
    return text;
}

std::int64_t utcOf(int day, int minuteOfDay)
{
    std::tm tm {};
    tm.tm_year = 2027 - 1900;
    tm.tm_mon = 0;
    tm.tm_mday = day;
    return static_cast<std::int64_t>(::timegm(&tm)) + minuteOfDay * 60 - 2 * 3600;
}

std::string bookingBody(
    std::int64_t patient, std::int64_t doctor, std::int64_t service, const std::string& start)
{
    return R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)" + std::to_string(doctor)
        + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + start + R"("})";
}

/// What one client got in one round.
struct Answer {
    int status = 0; ///< HTTP status, or -1 if the request threw
    std::string code; ///< error.code
    std::string body;
};

/// kClients threads, each with its own HttpClient (its own connection),
/// kept for the whole test. run() hands every thread a job and releases them
/// together: each thread waits at a barrier until all have arrived, so the
/// requests leave within microseconds of each other.
class Crowd {
public:
    using Job = std::function<HttpResult(int index, HttpClient& client)>;

    Crowd(int size, const std::function<int(int)>& portOf)
        : _size(size)
    {
        for (int i = 0; i < size; ++i)
            _threads.emplace_back([this, i, port = portOf(i)] { loop(i, port); });
        // Open every connection before the first race.
        run([](int, HttpClient& c) { return c.get("/health/live"); });
    }

    ~Crowd()
    {
        {
            std::lock_guard<std::mutex> lock(_mutex);
            _quit = true;
            ++_generation;
        }
        _wake.notify_all();
        for (auto& t : _threads)
            t.join();
    }

    Crowd(const Crowd&) = delete;
    Crowd& operator=(const Crowd&) = delete;

    /// Runs job on every thread at once; the answers by thread index, and
    /// the milliseconds from release to the last answer.
    std::vector<Answer> run(Job job, double* millis = nullptr)
    {
        std::unique_lock<std::mutex> lock(_mutex);
        _job = std::move(job);
        _answers.assign(static_cast<std::size_t>(_size), Answer {});
        _arrived = 0;
        _finished = 0;
        ++_generation;
        _wake.notify_all();
        _done.wait(lock, [&] { return _finished == _size; });
        if (millis)
            *millis = std::chrono::duration<double, std::milli>(_lastAnswer - _released).count();
        return _answers;
    }

private:
    void loop(int index, int port)
    {
        HttpClient client("127.0.0.1", port);
        // A booking answers well within this; a connection left waiting for
        // a worker (too few http.threads) fails instead of hanging.
        client.setTimeout(20);
        long seen = 0;
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(_mutex);
                _wake.wait(lock, [&] { return _generation != seen; });
                seen = _generation;
                if (_quit)
                    return;
                job = _job;
                // The barrier: the last to arrive releases everyone.
                if (++_arrived == _size) {
                    _released = std::chrono::steady_clock::now();
                    _go.notify_all();
                } else {
                    _go.wait(lock, [&] { return _arrived == _size; });
                }
            }
            Answer a;
            try {
                HttpResult r = job(index, client);
                a.status = r.status;
                a.code = r.errorCode();
                a.body = r.body;
            } catch (const std::exception& e) {
                a.status = -1;
                a.body = e.what();
            }
            std::lock_guard<std::mutex> lock(_mutex);
            _answers[static_cast<std::size_t>(index)] = std::move(a);
            _lastAnswer = std::chrono::steady_clock::now();
            if (++_finished == _size)
                _done.notify_all();
        }
    }

    const int _size;
    std::vector<std::thread> _threads;
    std::mutex _mutex;
    std::condition_variable _wake, _go, _done;
    long _generation = 0;
    bool _quit = false;
    int _arrived = 0, _finished = 0;
    Job _job;
    std::vector<Answer> _answers;
    std::chrono::steady_clock::time_point _released, _lastAnswer;
};

/// The daemons' log lines that explain a server-side failure (a request that
/// failed, a transaction that gave up), so a rare race failure names its
/// exception instead of just its status.
std::string serverTrouble()
{
    std::string out;
    const Daemon* daemons[] = {&world().clinic->daemon(), world().second.get()};
    for (const Daemon* d : daemons) {
        if (!d)
            continue;
        std::istringstream log(d->log());
        for (std::string line; std::getline(log, line);)
            if (line.find(" failed") != std::string::npos || line.find("gave up") != std::string::npos
                || line.find("busy") != std::string::npos)
                out += "\n  " + line;
    }
    return out.size() > 4000 ? out.substr(out.size() - 4000) : out;
}

/// Checks one round: exactly one winner (the status in winners), every other
/// answer 409 SLOT_TAKEN (or 503 DATABASE_BUSY, never a 500). Returns the winner's index.
int soleWinner(
    const std::vector<Answer>& answers, const std::string& round, const std::set<int>& winners = {201})
{
    int winner = -1, wins = 0;
    std::string odd;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const auto& a = answers[i];
        if (winners.count(a.status)) {
            ++wins;
            winner = static_cast<int>(i);
        } else if (a.status == 503 && a.code == "DATABASE_BUSY") {
            // The promise allows it (the booking had no effect and may be
            // sent again); said aloud, since it should stay rare.
            std::cout << "\n  " << round << ": client " << i << " answered 503 DATABASE_BUSY" << std::flush;
        } else if (!(a.status == 409 && a.code == "SLOT_TAKEN") && odd.empty()) {
            odd = "client " + std::to_string(i) + ": " + std::to_string(a.status) + " " + a.body;
        }
    }
    CPPUNIT_ASSERT_MESSAGE(round + ": an answer that is neither the win nor 409 SLOT_TAKEN: " + odd
            + (odd.empty() ? std::string() : serverTrouble()),
        odd.empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(round + ": winners", 1, wins);
    return winner;
}

void printTimings(const std::string& what, std::vector<double> millis)
{
    if (millis.empty())
        return;
    std::sort(millis.begin(), millis.end());
    std::ostringstream out;
    out.precision(1);
    out << std::fixed << "\n  " << what << ": " << millis.size() << " rounds, release to last answer min "
        << millis.front() << " ms, median " << millis[millis.size() / 2] << " ms, max " << millis.back()
        << " ms";
    std::cout << out.str() << std::flush;
}

/// The database after races for one doctor: `expected` active appointments,
/// no slot start held twice, no other appointment row (a loser's row rolled
/// back), and every occupancy cell belonging to an active appointment of
/// this doctor and lying inside its time.
void assertOneAppointmentPerSlot(std::int64_t doctor, long expected, long expectedCells)
{
    const std::string d = std::to_string(doctor);
    const std::string active = "status IN ('pending', 'confirmed', 'checked_in')";
    CPPUNIT_ASSERT_EQUAL(
        expected, scalar("SELECT COUNT(*) FROM scheduling_appointments WHERE doctor_id = " + d + ";"));
    CPPUNIT_ASSERT_EQUAL(expected,
        scalar(
            "SELECT COUNT(*) FROM scheduling_appointments WHERE doctor_id = " + d + " AND " + active + ";"));
    CPPUNIT_ASSERT_EQUAL(0L,
        scalar("SELECT COUNT(*) FROM (SELECT start_utc FROM scheduling_appointments WHERE doctor_id = " + d
            + " GROUP BY start_utc HAVING COUNT(*) > 1) twice;"));
    CPPUNIT_ASSERT_EQUAL(
        expectedCells, scalar("SELECT COUNT(*) FROM scheduling_occupancy WHERE doctor_id = " + d + ";"));
    CPPUNIT_ASSERT_EQUAL(expectedCells,
        scalar("SELECT COUNT(*) FROM scheduling_occupancy o JOIN scheduling_appointments a"
               " ON a.id = o.appointment_id WHERE o.doctor_id = "
            + d + " AND a.doctor_id = " + d + " AND a." + active
            + " AND o.cell * 300 >= a.start_utc AND o.cell * 300 < a.end_utc;"));
    // Each active appointment holds exactly its own cells.
    CPPUNIT_ASSERT_EQUAL(0L,
        scalar("SELECT COUNT(*) FROM scheduling_appointments a WHERE a.doctor_id = " + d + " AND a." + active
            + " AND (SELECT COUNT(*) FROM scheduling_occupancy o WHERE o.appointment_id = a.id)"
              " <> (a.end_utc - a.start_utc) / 300;"));
}

long activeAt(std::int64_t doctor, std::int64_t startUtc)
{
    return scalar("SELECT COUNT(*) FROM scheduling_appointments WHERE doctor_id = " + std::to_string(doctor)
        + " AND start_utc = " + std::to_string(startUtc)
        + " AND status IN ('pending', 'confirmed', 'checked_in');");
}

/// Consecutive 30-minute slots from 08:00 to 20:00, starting on firstDay.
std::pair<int, int> slotOf(int round, int firstDay)
{
    return {firstDay + round / 24, 8 * 60 + (round % 24) * 30};
}

} // namespace

class BookingRaceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BookingRaceTest);
    CPPUNIT_TEST(sixtyFourClientsOnOneSlotGetOneBookingFiftyTimes);
    CPPUNIT_TEST(overlappingDurationsRacingGetOneBooking);
    CPPUNIT_TEST(rescheduleRacingBookingsMovesOrStaysWhole);
    CPPUNIT_TEST_SUITE_ADD_CUSTOM_TESTS(addMariaDbOnlyTests);
    CPPUNIT_TEST_SUITE_END();

    static void addMariaDbOnlyTests(TestSuiteBuilderContextType& context)
    {
        if (backend() == "mariadb")
            CPPUNIT_TEST(twoDaemonsOnOneDatabaseGetOneBookingFiftyTimes);
        else
            std::cout << "  (the two-daemon race runs on the mariadb backend only)\n" << std::flush;
    }

public:
    void sixtyFourClientsOnOneSlotGetOneBookingFiftyTimes()
    {
        auto& w = world();
        const auto service = newService(30);
        const auto doctor = newDoctor({service});
        const auto desk = w.clinic->as("desk");
        Crowd crowd(kClients, [&](int) { return w.clinic->daemon().port(); });
        std::vector<double> millis;
        for (int round = 0; round < kRounds; ++round) {
            const auto [day, minute] = slotOf(round, 4);
            const std::string start = bucharest(day, minute);
            double ms = 0;
            auto answers = crowd.run(
                [&](int i, HttpClient& c) {
                    return c.post("/api/v1/appointments",
                        bookingBody(w.patients[static_cast<std::size_t>(i) % w.patients.size()], doctor,
                            service, start),
                        desk);
                },
                &ms);
            millis.push_back(ms);
            const int winner = soleWinner(answers, "round " + std::to_string(round) + " at " + start);
            auto won = HttpResult {201, answers[static_cast<std::size_t>(winner)].body, {}}.json();
            CPPUNIT_ASSERT_EQUAL(std::string("pending"), won->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(30), won->getValue<Poco::Int64>("duration_min"));
        }
        printTimings("64 clients on one slot", millis);
        assertOneAppointmentPerSlot(doctor, kRounds, kRounds * 6L);
        for (int round = 0; round < kRounds; ++round) {
            const auto [day, minute] = slotOf(round, 4);
            CPPUNIT_ASSERT_EQUAL(1L, activeAt(doctor, utcOf(day, minute)));
        }
    }

    /// A 45-minute booking at 09:30 runs to 10:15, so it collides with a
    /// 30-minute one at 10:00 on the cells 10:00-10:15 only.
    void overlappingDurationsRacingGetOneBooking()
    {
        constexpr int kOverlapRounds = 10;
        auto& w = world();
        const auto longService = newService(45);
        const auto shortService = newService(30);
        const auto doctor = newDoctor({longService, shortService});
        const auto desk = w.clinic->as("desk");
        Crowd crowd(kClients, [&](int) { return w.clinic->daemon().port(); });
        std::vector<double> millis;
        int longWins = 0;
        long cells = 0;
        for (int round = 0; round < kOverlapRounds; ++round) {
            const int day = 4 + round;
            const std::string early = bucharest(day, 9 * 60 + 30), late = bucharest(day, 10 * 60);
            double ms = 0;
            auto answers = crowd.run(
                [&](int i, HttpClient& c) {
                    const auto patient = w.patients[static_cast<std::size_t>(i) % w.patients.size()];
                    return c.post("/api/v1/appointments",
                        i % 2 ? bookingBody(patient, doctor, shortService, late)
                              : bookingBody(patient, doctor, longService, early),
                        desk);
                },
                &ms);
            millis.push_back(ms);
            const int winner = soleWinner(answers, "overlap round " + std::to_string(round));
            const bool longWon = winner % 2 == 0;
            longWins += longWon;
            cells += longWon ? 9 : 6;
            auto won = HttpResult {201, answers[static_cast<std::size_t>(winner)].body, {}}.json();
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(longWon ? 45 : 30), won->getValue<Poco::Int64>("duration_min"));
            CPPUNIT_ASSERT_EQUAL(
                1L, activeAt(doctor, longWon ? utcOf(day, 9 * 60 + 30) : utcOf(day, 10 * 60)));
            CPPUNIT_ASSERT_EQUAL(
                0L, activeAt(doctor, longWon ? utcOf(day, 10 * 60) : utcOf(day, 9 * 60 + 30)));
        }
        printTimings("32 x 45 min at 09:30 against 32 x 30 min at 10:00", millis);
        std::cout << "\n  the 45-minute booking won " << longWins << " of " << kOverlapRounds << " rounds"
                  << std::flush;
        assertOneAppointmentPerSlot(doctor, kOverlapRounds, cells);
    }

    /// Appointment A holds X (09:00); A is moved to Y (11:00) while other
    /// clients book Y. One of them gets Y. If the move lost, A still holds
    /// X (X cannot be booked); if it won, X is free and bookable. Odd rounds
    /// race the move against 15 bookings, even rounds against one (at times
    /// a little late), so both outcomes come up; which wins is printed.
    void rescheduleRacingBookingsMovesOrStaysWhole()
    {
        constexpr int kRescheduleRounds = 12;
        constexpr int kBookers = 15;
        auto& w = world();
        const auto service = newService(30);
        const auto doctor = newDoctor({service});
        const auto desk = w.clinic->as("desk");
        auto& c = w.clinic->client();
        Crowd crowd(kBookers + 1, [&](int) { return w.clinic->daemon().port(); });
        std::vector<double> millis;
        int movedAgainstMany = 0, movedAgainstOne = 0;
        for (int round = 0; round < kRescheduleRounds; ++round) {
            const int day = 4 + round;
            const std::string x = bucharest(day, 9 * 60), y = bucharest(day, 11 * 60);
            const std::string label = "reschedule round " + std::to_string(round);
            const auto a = createdId(
                c.post("/api/v1/appointments", bookingBody(w.patients[0], doctor, service, x), desk));
            const std::string moveBody = R"({"start":")" + y + R"("})";
            double ms = 0;
            const int bookers = round % 2 ? kBookers : 1;
            auto answers = crowd.run(
                [&](int i, HttpClient& client) {
                    if (i > bookers)
                        return client.get("/health/live");
                    if (i == 0)
                        return client.post(
                            "/api/v1/appointments/" + std::to_string(a) + "/reschedule", moveBody, desk);
                    // Alone against the move, the booking sometimes
                    // leaves a few milliseconds late, to give the move its
                    // chance to win too.
                    if (bookers == 1)
                        std::this_thread::sleep_for(std::chrono::milliseconds(round / 2 % 3 * 2));
                    return client.post("/api/v1/appointments",
                        bookingBody(w.patients[1 + static_cast<std::size_t>(i) % (w.patients.size() - 1)],
                            doctor, service, y),
                        desk);
                },
                &ms);
            millis.push_back(ms);
            // The move answers 200, a booking 201; nothing else but 409 SLOT_TAKEN.
            std::string odd;
            int wins = 0;
            for (std::size_t i = 0; i <= static_cast<std::size_t>(bookers); ++i) {
                const auto& r = answers[i];
                const int win = i == 0 ? 200 : 201;
                if (r.status == win)
                    ++wins;
                else if (!(r.status == 409 && r.code == "SLOT_TAKEN") && odd.empty())
                    odd = (i == 0 ? "the reschedule: " : "booker " + std::to_string(i) + ": ")
                        + std::to_string(r.status) + " " + r.body;
            }
            CPPUNIT_ASSERT_MESSAGE(label + ": " + odd, odd.empty());
            CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": winners of Y", 1, wins);

            const bool movedA = answers[0].status == 200;
            (bookers > 1 ? movedAgainstMany : movedAgainstOne) += movedA;
            auto now = c.get("/api/v1/appointments/" + std::to_string(a), desk);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(now.body, 200, now.status);
            auto json = now.json();
            CPPUNIT_ASSERT_EQUAL(std::string("pending"), json->getValue<std::string>("status"));
            CPPUNIT_ASSERT_EQUAL(Poco::Int64(movedA ? 1 : 0), json->getValue<Poco::Int64>("sequence"));
            const std::int64_t aStart = movedA ? utcOf(day, 11 * 60) : utcOf(day, 9 * 60);
            CPPUNIT_ASSERT_EQUAL(6L,
                scalar("SELECT COUNT(*) FROM scheduling_occupancy WHERE appointment_id = " + std::to_string(a)
                    + " AND cell >= " + std::to_string(aStart / 300) + " AND cell < "
                    + std::to_string(aStart / 300 + 6) + ";"));
            CPPUNIT_ASSERT_EQUAL(6L,
                scalar("SELECT COUNT(*) FROM scheduling_occupancy WHERE appointment_id = " + std::to_string(a)
                    + ";"));
            // X: free (bookable) after a move, still A's otherwise.
            auto again = c.post("/api/v1/appointments", bookingBody(w.patients[2], doctor, service, x), desk);
            if (movedA) {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(label + ": X after the move: " + again.body, 201, again.status);
            } else {
                CPPUNIT_ASSERT_EQUAL_MESSAGE(
                    label + ": X while A holds it: " + again.body, 409, again.status);
                CPPUNIT_ASSERT_EQUAL(std::string("SLOT_TAKEN"), again.errorCode());
            }
            CPPUNIT_ASSERT_EQUAL(1L, activeAt(doctor, utcOf(day, 9 * 60)));
            CPPUNIT_ASSERT_EQUAL(1L, activeAt(doctor, utcOf(day, 11 * 60)));
        }
        printTimings("a reschedule against 15 or 1 booking(s) of its new time", millis);
        std::cout << "\n  the reschedule won " << movedAgainstMany << " of " << kRescheduleRounds / 2
                  << " rounds against 15 bookings, " << movedAgainstOne << " of " << kRescheduleRounds / 2
                  << " against one" << std::flush;
        // Per round two appointments (X and Y), each with its six cells.
        assertOneAppointmentPerSlot(doctor, 2L * kRescheduleRounds, 12L * kRescheduleRounds);
    }

    /// Two clinicd processes on one MariaDB database, half the clients on
    /// each: the occupancy key, not any in-process lock, decides.
    void twoDaemonsOnOneDatabaseGetOneBookingFiftyTimes()
    {
        auto& w = world();
        if (!w.second) {
            auto o = daemonOptions(w.dir->file("rules"), w.dir->file("jwt.key"));
            o.dbUrl = w.clinic->daemon().dbUrl();
            w.second = std::make_unique<Daemon>(o);
        }
        const auto service = newService(30);
        const auto doctor = newDoctor({service});
        const auto desk = w.clinic->as("desk");
        // The session and its token are in the shared database, the key in
        // the shared file: the second daemon accepts the same token.
        auto probe = w.second->client();
        auto me = probe.get("/api/v1/appointments?doctor_id=" + std::to_string(doctor), desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(me.body, 200, me.status);

        const int firstPort = w.clinic->daemon().port(), secondPort = w.second->port();
        Crowd crowd(kClients, [&](int i) { return i < kClients / 2 ? firstPort : secondPort; });
        std::vector<double> millis;
        int firstWins = 0;
        for (int round = 0; round < kRounds; ++round) {
            const auto [day, minute] = slotOf(round, 18);
            const std::string start = bucharest(day, minute);
            double ms = 0;
            auto answers = crowd.run(
                [&](int i, HttpClient& c) {
                    return c.post("/api/v1/appointments",
                        bookingBody(w.patients[static_cast<std::size_t>(i) % w.patients.size()], doctor,
                            service, start),
                        desk);
                },
                &ms);
            millis.push_back(ms);
            const int winner
                = soleWinner(answers, "two daemons, round " + std::to_string(round) + " at " + start);
            firstWins += winner < kClients / 2;
        }
        printTimings("64 clients over two daemons on one slot", millis);
        std::cout << "\n  the first daemon's clients won " << firstWins << " of " << kRounds << " rounds"
                  << std::flush;
        assertOneAppointmentPerSlot(doctor, kRounds, kRounds * 6L);
        for (int round = 0; round < kRounds; ++round) {
            const auto [day, minute] = slotOf(round, 18);
            CPPUNIT_ASSERT_EQUAL(1L, activeAt(doctor, utcOf(day, minute)));
        }
        CPPUNIT_ASSERT(w.second->running());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BookingRaceTest);
