#include "auth/RequestRateLimit.h"

namespace clinic {

RequestRateLimit::RequestRateLimit(int perMinute)
    : _perMinute(perMinute)
{
}

int RequestRateLimit::take(const std::string& key, std::int64_t nowSeconds)
{
    if (_perMinute <= 0)
        return 0;
    const std::int64_t minute = nowSeconds / 60;
    std::lock_guard<std::mutex> lock(_mutex);
    // Forget finished minutes now and then so the map stays as small as the
    // set of sessions active in the current minute.
    if (_windows.size() > 10000) {
        for (auto it = _windows.begin(); it != _windows.end();)
            it = it->second.minute < minute ? _windows.erase(it) : std::next(it);
    }
    Window& w = _windows[key];
    if (w.minute != minute)
        w = Window {minute, 0};
    if (++w.count <= _perMinute)
        return 0;
    return static_cast<int>(60 - nowSeconds % 60);
}

} // namespace clinic
