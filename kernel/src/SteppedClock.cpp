#include "SteppedClock.h"

#include <fstream>

namespace clinic {

SteppedClock::SteppedClock(std::unique_ptr<Clock> base, std::string offsetFile)
    : _base(std::move(base))
    , _file(std::move(offsetFile))
{
    offsetSeconds();
}

std::chrono::system_clock::time_point SteppedClock::now() const
{
    return _base->now() + std::chrono::seconds(offsetSeconds());
}

std::int64_t SteppedClock::offsetSeconds() const
{
    const std::int64_t steadyMs = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
                                      .count();
    std::int64_t last = _readAtMs.load();
    // One reader per second; the others use the value it left.
    if ((last < 0 || steadyMs - last >= 1000) && _readAtMs.compare_exchange_strong(last, steadyMs)) {
        std::ifstream in(_file);
        long long seconds = 0;
        _offset = (in >> seconds) ? seconds : 0;
    }
    return _offset.load();
}

} // namespace clinic
