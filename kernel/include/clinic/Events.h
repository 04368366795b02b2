#pragma once

#include <functional>
#include <string>

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

/// Called on the publishing thread, right after the publisher's transaction
/// committed. Keep it short: slow work belongs in a job.
using EventHandler = std::function<void(const Event&)>;

/// In-process publish/subscribe. A daemon's events are its own: with several
/// daemons on one database each sees only what it committed, and an event is
/// lost if the daemon dies right after the commit. Work that must survive a
/// crash or run once across daemons is a job (clinic/Jobs.h), scheduled in
/// the same transaction; an event is for reacting in this process (metrics,
/// caches, scheduling such a job from a subscriber is too late for
/// durability).
class EventBus {
public:
    virtual ~EventBus() = default;

    /// Delivers event to the subscribers after tx commits; never for a
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
};

} // namespace clinic
