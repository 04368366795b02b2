// One half of a two-plugin cycle: broken_cycle_a requires broken_cycle_b,
// which requires broken_cycle_a.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class CycleAPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_cycle_a"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"broken_cycle_b"}; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(CycleAPlugin)
