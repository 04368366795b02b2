#pragma once

// Reading the Prometheus text format in tests, and the traffic the metrics
// tests drive through the example plugin.

#include <map>
#include <string>
#include <vector>

#include "TestSupport.h"

namespace clinic::test::metrics {

/// One sample line: name{labels} value.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

/// Every sample line of an exposition (comments skipped). Throws on a line
/// that is not name[{labels}] value, so a malformed exposition fails loudly.
std::vector<Sample> parseExposition(const std::string& text);

/// The value of the sample with exactly these labels, or 0 if there is none
/// (a counter that never moved has no series yet).
double valueOf(const std::vector<Sample>& samples, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

/// Whether a sample with this name (any labels) exists.
bool hasMetric(const std::vector<Sample>& samples, const std::string& name);

/// The metric family names in an exposition (from # TYPE lines).
std::vector<std::string> familyNames(const std::string& text);

/// The full path of a program on PATH, or "" if there is none.
std::string findProgram(const std::string& name);

/// For a static initializer: if program is not on PATH, prints
/// "SKIPPED: reason" and exits 77 (ctest: skipped) before any test runs.
/// Exits rather than calling skipAll(), whose reason, set from another
/// translation unit's static initializer, can be reset by the harness's own
/// static initialization running later.
std::string requireProgram(const std::string& program, const std::string& reason);

/// Daemon options that load the metrics and example plugins with a small body
/// limit (so a 413 is cheap to provoke).
Daemon::Options metricsDaemonOptions();

/// What driveTraffic did, so a test can assert exactly that much movement.
struct Traffic {
    static constexpr int kCreated = 1; ///< POST note -> 201
    static constexpr int kInvalid = 1; ///< POST note without text -> 422
    static constexpr int kUnmatched404 = 3; ///< GET of paths no route matches
    static constexpr int kNoteMissing = 1; ///< GET note that does not exist -> 404 on the template
    static constexpr int kNoteFound = 1; ///< GET the created note -> 200
    static constexpr int kTooLarge = 1; ///< POST over the body limit -> 413
    std::string noteId; ///< the created note's id, which must never be a label
};

/// The text a created note carries; it must never appear in /metrics.
extern const char* const kNoteText;

/// Drives the traffic above through client; asserts each status on the way.
Traffic driveTraffic(HttpClient& client);

/// Daemon options that load the metrics plugin with records and scheduling
/// (and the default rules of lua/rules), the daemon's clock starting on
/// Monday 2027-03-01 at 06:00 UTC (08:00 in Bucharest).
Daemon::Options bookingDaemonOptions();

/// What driveBookings did, so a test can assert exactly that much movement.
struct Bookings {
    static constexpr int kCreated = 1; ///< a booking -> 201
    static constexpr int kSlotTaken = 1; ///< the same slot again -> 409 SLOT_TAKEN
    static constexpr int kInvalid = 1; ///< a start off the 5-minute grid -> 422 VALIDATION_FAILED
    static constexpr int kRuleRejected = 1; ///< 30 minutes' notice -> 422 RULE_REJECTED (default rules)
    static constexpr int kCancelled = 1; ///< the booking cancelled -> 200
    static constexpr int kMissing = 1; ///< GET of an appointment that does not exist -> 404
    std::int64_t appointmentId = 0;
};

/// Sets up a location, a service, a doctor with hours and a patient through
/// the API as an admin, then drives the bookings above; asserts each status.
Bookings driveBookings(Daemon& daemon);

/// Books one appointment (after setting up as driveBookings does); its id.
std::int64_t bookOnce(Daemon& daemon);

} // namespace clinic::test::metrics
