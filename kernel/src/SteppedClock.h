#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "clinic/Host.h"

namespace clinic {

/// For tests of clock steps (clock.offset_file): another clock moved by a
/// number of seconds read from a file, re-read at most once a second, so a
/// test steps the daemon's time back or forward by rewriting the file
/// while the daemon runs, as NTP steps a server's. A missing or unreadable
/// file means no offset. Job leases keep to the host's real time.
class SteppedClock : public Clock {
public:
    SteppedClock(std::unique_ptr<Clock> base, std::string offsetFile);
    std::chrono::system_clock::time_point now() const override;

private:
    std::int64_t offsetSeconds() const;

    std::unique_ptr<Clock> _base;
    std::string _file;
    mutable std::atomic<std::int64_t> _offset {0};
    mutable std::atomic<std::int64_t> _readAtMs {-1}; ///< steady time of the last read
};

} // namespace clinic
