#pragma once

// What the fault suites share: a clinic set up for booking, a booking load
// of several threads that counts every kind of answer (and every request
// that got none in time), and checks that what was answered 201 is stored.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ClinicFixture.h"

namespace clinic::test {

/// Two doctors open every day 08:00-20:00 in Bucharest, a 15-minute service
/// and a few patients: thousands of distinct free slots for a load.
struct BookingDesk {
    std::vector<std::int64_t> doctors;
    std::int64_t service = 0;
    std::vector<std::int64_t> patients;
};
BookingDesk openBookingDesk(ClinicFixture& clinic, int patients = 4);

/// The k-th free slot of the desk: doctor and RFC 3339 start (UTC, inside
/// the working hours in winter and summer time alike).
std::pair<std::int64_t, std::string> deskSlot(const BookingDesk& desk, long k);

/// How a load's requests were answered.
struct LoadTally {
    long created = 0; ///< 201
    long taken = 0; ///< 409 in the envelope
    long unavailable = 0; ///< 503 DATABASE_UNAVAILABLE
    long storageFull = 0; ///< 503 STORAGE_FULL
    long busy = 0; ///< 503 DATABASE_BUSY
    long other = 0; ///< anything else: a 500, a bare 503, another code
    long noAnswer = 0; ///< no answer within the client's timeout
    double slowestSeconds = 0;
    std::vector<std::int64_t> createdIds;
    std::vector<std::string> otherSamples; ///< the first few "other" answers
    long total() const { return created + taken + unavailable + storageFull + busy + other + noAnswer; }
    std::string summary() const;
};

/// Threads booking the desk's slots one after another, each its own slot,
/// until stopped; a slot answered 503 or not at all is asked for again.
/// Each client gives up after clientTimeoutSeconds.
class BookingLoad {
public:
    BookingLoad(Daemon& daemon, std::map<std::string, std::string> auth, BookingDesk desk, int threads,
        int clientTimeoutSeconds);
    ~BookingLoad();
    BookingLoad(const BookingLoad&) = delete;
    BookingLoad& operator=(const BookingLoad&) = delete;

    void stop();
    LoadTally tally() const;
    /// Waits until `more` further requests were answered 201 (false on timeout).
    bool awaitCreated(long more, std::chrono::seconds timeout = std::chrono::seconds(30));
    /// Steady time of the first 201 answered after `since`, if any.
    std::optional<std::chrono::steady_clock::time_point> firstCreatedAfter(
        std::chrono::steady_clock::time_point since) const;

private:
    void run();

    Daemon& _daemon;
    std::map<std::string, std::string> _auth;
    BookingDesk _desk;
    int _timeout;
    std::atomic<long> _next {0};
    std::atomic<bool> _stop {false};
    mutable std::mutex _mutex;
    LoadTally _tally;
    std::vector<std::chrono::steady_clock::time_point> _createdAt;
    std::vector<std::thread> _threads;
};

/// Ids of the rows of a table, read through the daemon's database.
std::set<std::int64_t> storedIds(ClinicFixture& clinic, const std::string& table);

/// Fails the test unless every id answered 201 is stored; returns how many were found.
long assertAllCreatedStored(ClinicFixture& clinic, const LoadTally& tally);

} // namespace clinic::test
