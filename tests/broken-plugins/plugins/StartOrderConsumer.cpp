// Requires startorder_provider and throws from start() if the provider's
// service is not there yet, so it starts only if the host honours the order.
// Serves GET /api/v1/startorder/token naming who published the service.

#include <stdexcept>

#include "StartOrderToken.h"
#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

namespace {

class StartOrderConsumerPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "startorder_consumer"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"startorder_provider"}; }
    void start(clinic::Host& host) override
    {
        auto token = host.services().find<clinic::startorder::Token>(clinic::startorder::kServiceName);
        if (!token)
            throw std::runtime_error("started before startorder_provider published its service");
        host.router().add({"GET", "/api/v1/startorder/token", clinic::Access::open(),
            [token](clinic::Request&) {
                auto out = clinic::makeObject();
                out->set("published_by", token->publishedBy);
                return clinic::Response::json(out);
            },
            "who published the start-order token"});
    }
};

} // namespace

CLINIC_PLUGIN(StartOrderConsumerPlugin)
