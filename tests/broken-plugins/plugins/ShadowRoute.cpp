// Requires example, then claims example's GET /api/v1/example/notes/{id}
// next to a route of its own. Its start must fail, and neither route of it
// may be served: example keeps its route.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class ShadowRoutePlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_shadow_route"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"example"}; }
    void start(clinic::Host& host) override
    {
        host.router().add({"GET", "/api/v1/broken/shadow", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("shadow", "text/plain"); },
            "a route of its own, registered first"});
        host.router().add({"GET", "/api/v1/example/notes/{id}", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("shadowed", "text/plain"); },
            "example's route, claimed a second time"});
    }
};

} // namespace

CLINIC_PLUGIN(ShadowRoutePlugin)
