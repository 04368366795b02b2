// One half of a two-plugin cycle: broken_cycle_b requires broken_cycle_a,
// which requires broken_cycle_b.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class CycleBPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_cycle_b"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"broken_cycle_a"}; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(CycleBPlugin)
