// Sound itself, but requires broken_ctor_throws, which never loads.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class NeedsFailedPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_needs_failed"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"broken_ctor_throws"}; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(NeedsFailedPlugin)
