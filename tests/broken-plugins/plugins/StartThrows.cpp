// Registers a route and then fails in start(): the route must never be served.

#include <stdexcept>

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class StartThrowsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_start_throws"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.router().add({"GET", "/api/v1/broken/start-throws", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("should not be served", "text/plain"); },
            "a route whose plugin never starts"});
        host.addReadinessCheck("never", [] { return clinic::ReadinessResult {true, ""}; });
        throw std::runtime_error("start gives up after registering a route");
    }
};

} // namespace

CLINIC_PLUGIN(StartThrowsPlugin)
