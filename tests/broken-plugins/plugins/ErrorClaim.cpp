// Renders the errors of /api/v1/appointments, a URL prefix the scheduling
// plugin owns. Its start must fail naming the prefix, and the API's errors
// there keep the error envelope.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class ErrorClaimPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_error_claim"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        host.router().renderErrors(
            "/api/v1/appointments", [](const clinic::HttpError& e, const clinic::Request&) {
                return clinic::Response::text("not the envelope", "text/plain", e.status());
            });
    }
};

} // namespace

CLINIC_PLUGIN(ErrorClaimPlugin)
