// Publishes a service under the name in broken_foreign_service.name (the
// suite sets it: another plugin's name, a name without a version, ...). A
// refused name must fail its start naming both plugins, and nothing it
// published may reach the daemon.

#include <memory>

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

struct Marker {
    int value = 1;
};

class ForeignServicePlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_foreign_service"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.services().publish("broken_foreign_service.marker.v1", std::make_shared<Marker>());
        host.services().publish(
            host.config().getString("broken_foreign_service.name"), std::make_shared<Marker>());
    }
};

} // namespace

CLINIC_PLUGIN(ForeignServicePlugin)
