// Claims GET /health/live, which the kernel serves itself.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class DuplicateRoutePlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_duplicate_route"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.router().add({"GET", "/health/live", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("hijacked", "text/plain"); },
            "a second liveness route"});
    }
};

} // namespace

CLINIC_PLUGIN(DuplicateRoutePlugin)
