// Publishes a service in start(); startorder_consumer requires this plugin
// and fails unless the service already exists when it starts.

#include <memory>

#include "StartOrderToken.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class StartOrderProviderPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "startorder_provider"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.services().publish(clinic::startorder::kServiceName,
            std::make_shared<clinic::startorder::Token>(clinic::startorder::Token {name()}));
    }
};

} // namespace

CLINIC_PLUGIN(StartOrderProviderPlugin)
