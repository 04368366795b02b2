// Sound itself, but requires broken_start_throws, which loads and resolves
// fine and only fails in start(): the failure must reach this plugin too.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class NeedsStartThrowsPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_needs_start_throws"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"broken_start_throws"}; }
    void start(clinic::Host& host) override
    {
        host.router().add({"GET", "/api/v1/broken/needs-start-throws", clinic::Access::open(),
            [](clinic::Request&) { return clinic::Response::text("should not be served", "text/plain"); },
            "a route whose plugin never starts"});
    }
};

} // namespace

CLINIC_PLUGIN(NeedsStartThrowsPlugin)
