// Requires a plugin that plugins.load does not name.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class MissingDependencyPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_missing_dep"; }
    std::string version() const override { return "0.0.1"; }
    std::vector<std::string> dependencies() const override { return {"absent_plugin"}; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(MissingDependencyPlugin)
