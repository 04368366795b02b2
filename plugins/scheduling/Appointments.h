#pragma once

// Appointments: booking, the lifecycle, recurrence, the waitlist, iCalendar
// and the reports over them. The directory (Directory.h) says where and when
// a doctor works; this part says which of that time is taken.
//
// No double booking, by construction (decision 3): every active appointment
// holds one row per 5-minute cell of its time in scheduling_occupancy, whose
// primary key is (doctor_id, cell). A second booking of any overlapping time
// for the same doctor fails on that key inside its transaction, whichever
// daemon or thread runs it, and is answered 409 SLOT_TAKEN. Cancelling or a
// no-show deletes the cells in the same transaction that changes the status.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/JSON/Object.h>

#include "Directory.h"
#include "clinic/Host.h"
#include "clinic/Migration.h"

namespace scheduling {

/// The occupancy grid: 5 minutes, aligned to the Unix epoch (so to every
/// zone whose offset is a multiple of 5 minutes, which is every zone in use).
constexpr std::int64_t kCellSeconds = 300;

/// The cells [first, last] an interval [start, end) touches.
inline std::int64_t firstCell(std::int64_t start)
{
    return start / kCellSeconds;
}
inline std::int64_t lastCell(std::int64_t end)
{
    return (end - 1) / kCellSeconds;
}

/// The UTC instant of a local wall-clock time (seconds since the epoch read
/// as local): the first one where it exists twice; in a spring gap, the
/// instant the clocks jumped over it.
std::int64_t lenientUtc(const TimeZone& zone, std::int64_t local);

/// The doctor's occupied cells that touch [fromUtc, toUtc): one range scan
/// of the occupancy primary key.
std::set<std::int64_t> occupiedCells(
    Poco::Data::Session& s, std::int64_t doctorId, std::int64_t fromUtc, std::int64_t toUtc);

/// Whether [start, end) touches an occupied cell.
bool touches(const std::set<std::int64_t>& cells, std::int64_t start, std::int64_t end);

/// The booking ctx of lua/README.md, for before_book, cancel_policy,
/// slot_length and reminders. patient may be null (no patient known); start
/// may be absent (a length that does not depend on the time).
struct BookingFacts {
    const Doctor* doctor = nullptr;
    const Service* service = nullptr;
    const Location* location = nullptr;
    Poco::JSON::Object::Ptr patient; ///< ctx.patient as built by patientContext
    std::string actorRole;
    std::int64_t nowUtc = 0;
    std::optional<std::int64_t> startUtc;
};
Poco::JSON::Object::Ptr bookingContext(const BookingFacts& facts);

class DirectoryCache;

/// The appointment part of the plugin. Owns its tables (migrations 8..),
/// routes, metrics and the care-relationship service.
class AppointmentBook {
public:
    explicit AppointmentBook(clinic::Host& host);
    ~AppointmentBook();
    AppointmentBook(const AppointmentBook&) = delete;
    AppointmentBook& operator=(const AppointmentBook&) = delete;

    static std::vector<clinic::Migration> migrations();

    /// Routes, metrics, published services, job handlers.
    void start();

    /// ctx.patient for a patient id (null if there is no such patient).
    Poco::JSON::Object::Ptr patientContext(std::int64_t patientId, std::optional<std::int64_t> atUtc);

    /// The slot length for this booking ctx: the slot_length rule, else the
    /// service's duration.
    int slotMinutes(const BookingFacts& facts);

    /// The directory facts booking and availability read on every request.
    DirectoryCache& directory();

    class Impl;

private:
    std::shared_ptr<Impl> _impl;
};

} // namespace scheduling
