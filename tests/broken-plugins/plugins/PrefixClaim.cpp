// Serves a route of its own, then one under /api/v1/appointments, a URL
// prefix the scheduling plugin declares. Its start must fail naming both
// plugins, neither of its routes may be served, and scheduling keeps its own.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class PrefixClaimPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_prefix_claim"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.router().add({"GET", "/api/v1/broken_prefix_claim/own", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("own", "text/plain"); },
            "a route under its own prefix, registered first"});
        host.router().add({"GET", "/api/v1/appointments/{id}/claimed", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("claimed", "text/plain"); },
            "a route under the scheduling plugin's prefix"});
    }
};

} // namespace

CLINIC_PLUGIN(PrefixClaimPlugin)
