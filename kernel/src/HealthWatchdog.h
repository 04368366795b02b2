#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace clinic {

class Kernel;

/// systemd's watchdog, fed only by a daemon that works: every half interval
/// a thread asks the daemon's own listener for GET /health/live (the
/// reactor accepted, a worker answered) and runs SELECT 1 on a pooled
/// database session, each under a deadline, and sends WATCHDOG=1 only when
/// both came back. A hung front end, a deadlocked pool or a database call
/// that never returns stops the pings, and systemd restarts the service.
/// A MariaDB server that refuses connections still answers (with an error):
/// that is reported by /health/ready, and restarting clinicd would not
/// bring the server back, so it does not withhold the ping.
class HealthWatchdog {
public:
    HealthWatchdog(Kernel& kernel, std::chrono::microseconds interval);
    ~HealthWatchdog();
    HealthWatchdog(const HealthWatchdog&) = delete;
    HealthWatchdog& operator=(const HealthWatchdog&) = delete;

    /// "" when the daemon answered over HTTP and the database answered;
    /// else what did not.
    std::string probe();

private:
    void run();

    Kernel& _kernel;
    std::chrono::microseconds _interval;
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _stop = false;
    std::thread _thread;
};

} // namespace clinic
