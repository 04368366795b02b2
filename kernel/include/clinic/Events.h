#pragma once

#include <functional>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "clinic/Database.h"

namespace clinic {

/// Something that happened and was committed. The type names the fact, the
/// payload carries what a subscriber needs to act on it (ids, instants).
///
/// Known types; each publisher documents its payloads in the "Events" table
/// of its README (plugins/<name>/README.md), which tests/events checks:
///   appointment.booked          a booking committed
///   appointment.cancelled       a booking was cancelled
///   appointment.rescheduled     a booking moved to another slot
///   appointment.status_changed  confirmed, checked in, completed, no-show
///   waitlist.offered            a freed slot was offered to a waiting patient
///   patient.created             a patient record was created
/// Plugins may publish further types; name them "<area>.<past tense>".
struct Event {
    std::string type;
    Poco::JSON::Object::Ptr payload;
};

/// Who may see an event type on the live stream (GET /api/v1/events/stream).
/// A patient account always sees the events whose patient_id is its own,
/// whatever the audience; nobody else ever sees a Patient event.
enum class EventAudience {
    Schedule, ///< every staff role (admin, doctor, nurse, receptionist)
    Clinical, ///< the clinical roles only (access.clinical_roles)
    Patient, ///< only the patient it concerns
};

/// What the durable change log keeps of an event type and who may read it.
/// Payloads may carry clinical detail; the change log keeps only the listed
/// keys (ids, instants, statuses), because that row is what a stream shows.
/// A type nobody declared is kept as Patient with only its "*_id" integer
/// keys: the most restrictive reading.
struct EventVisibility {
    EventAudience audience = EventAudience::Patient;
    /// Payload keys copied into the change log (absent ones are skipped).
    /// "patient_id", when the payload has it, is also kept in its own column
    /// so a patient's stream can be filtered to their own events.
    std::vector<std::string> fields;
};

/// Called on the publishing thread, right after the publisher's transaction
/// committed. Keep it short: slow work belongs in a job.
using EventHandler = std::function<void(const Event&)>;

/// In-process publish/subscribe, plus the durable change log behind the live
/// stream (GET /api/v1/events/stream), which every daemon reads: a terminal
/// sees every committed change whichever daemon made it. Subscribers here
/// are another matter. A daemon's delivered events are its own: with several
/// daemons on one database each sees only what it committed, and an event is
/// lost if the daemon dies right after the commit. Work that must survive a
/// crash or run once across daemons is a job (clinic/Jobs.h), scheduled in
/// the same transaction; an event is for reacting in this process (metrics,
/// caches, scheduling such a job from a subscriber is too late for
/// durability).
class EventBus {
public:
    virtual ~EventBus() = default;

    /// Delivers event to the subscribers after tx commits, and writes its
    /// change-log row (what the live stream reads, on every daemon) through
    /// tx, so the row exists exactly when the publisher's change committed; never for a
    /// rolled-back transaction, and once even when Database::transact runs
    /// its function again after a busy/deadlock retry (each attempt has its
    /// own Transaction). A subscriber that throws is logged with its owner;
    /// the publisher and the other subscribers do not notice.
    virtual void publish(Transaction& tx, Event event) = 0;

    /// Subscribes to one type ("appointment.booked"), to a family
    /// ("appointment.*": every type starting with "appointment.") or to all
    /// ("*"). Subscriptions made in Plugin::start() take effect only if the
    /// start succeeds.
    virtual void subscribe(const std::string& pattern, EventHandler handler) = 0;

    /// Declares what the change log keeps of type and who may see it on the
    /// live stream. Declare each type a plugin publishes in Plugin::start()
    /// (it takes effect only if the start succeeds); undeclared types are
    /// shown to the patient they concern only.
    virtual void declare(const std::string& type, EventVisibility visibility)
    {
        (void)type;
        (void)visibility;
    }
};

} // namespace clinic
