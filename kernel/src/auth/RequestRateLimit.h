#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace clinic {

/// A per-session request budget per clock minute (auth.rate_limit_per_minute).
/// Kept in this daemon's memory: with several daemons behind a balancer each
/// enforces its own budget, which bounds a runaway client without a
/// database write per request.
class RequestRateLimit {
public:
    explicit RequestRateLimit(int perMinute);

    /// Counts one request for key at nowSeconds; returns 0 if it is within
    /// the budget, else the seconds until the next minute starts.
    int take(const std::string& key, std::int64_t nowSeconds);

private:
    struct Window {
        std::int64_t minute = 0;
        int count = 0;
    };
    int _perMinute;
    std::mutex _mutex;
    std::unordered_map<std::string, Window> _windows;
};

} // namespace clinic
