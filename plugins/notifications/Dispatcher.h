#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "MailChannel.h"
#include "Outbox.h"
#include "SmsGateway.h"
#include "clinic/Host.h"

namespace prometheus {
class Counter;
class Gauge;
template<typename T> class Family;
} // namespace prometheus

namespace notifications {

/// How the senders work (notifications.*).
struct DispatchSettings {
    int senders = 2; ///< threads, each with its own SMTP connection
    int batch = 20; ///< messages one sender claims at a time
    int leaseSeconds = 60; ///< a claimed message another daemon may take over after
    int maxAttempts = 6;
    double backoffBaseSeconds = 30;
    double backoffMaxSeconds = 3600;
};

/// The senders: threads that claim due outbox rows, check right before
/// sending that the message still holds (the appointment is not cancelled or
/// moved), hand it to its channel and record the outcome. A row is claimed
/// under a lease, so a daemon killed mid-send leaves it to be sent again,
/// with the same Message-ID, once the lease expires; two daemons on one
/// database never claim the same row at once.
class Dispatcher {
public:
    Dispatcher(clinic::Host& host, DispatchSettings settings, MailSettings mail, SmsSettings sms);
    ~Dispatcher();

    void start();
    void stop();
    /// Something became due: look now rather than at the next poll.
    void wake();
    /// Counts a message that ended without a sender (in-app, skipped when written).
    void count(const std::string& channel, const std::string& outcome);

private:
    struct Outcome {
        std::string status;
        std::string error;
        std::string providerId;
        std::int64_t dueAt = 0;
    };

    void run(int index);
    Outcome deliver(const OutboxRow& row, MailChannel& mail);
    /// Records the outcomes of claimed sends in one transaction, counts and
    /// logs them, and empties the list.
    void record(std::vector<Outbox::Finished>& finished);
    /// Why the message must not go out any more, or "".
    std::string obsolete(const OutboxRow& row);
    void updateGauges();
    std::int64_t clockMs() const;

    clinic::Host& _host;
    DispatchSettings _settings;
    MailSettings _mail;
    SmsGateway _sms;
    std::string _owner;
    std::vector<std::thread> _threads;
    std::atomic<bool> _running {false};
    std::mutex _mutex;
    std::condition_variable _wakeup;
    std::uint64_t _wakes = 0;
    prometheus::Family<prometheus::Counter>* _total = nullptr;
    prometheus::Family<prometheus::Gauge>* _depth = nullptr;
    prometheus::Gauge* _oldest = nullptr;
};

} // namespace notifications

namespace notifications {

/// Why a message about an appointment must not go out any more ("" if it
/// still holds): cancelled (unless it says so), moved since it was written,
/// already over. Read in tx when given. Throws when scheduling's lookup
/// service is not there, so the message waits for it.
std::string staleReason(clinic::Host& host, clinic::Transaction* tx, const std::string& kind,
    std::int64_t appointmentId, std::int64_t appointmentStart);

} // namespace notifications
