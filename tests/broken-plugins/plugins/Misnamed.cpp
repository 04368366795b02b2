// Lives in clinic_broken_misnamed.so but calls itself something else, so
// plugins.load, the plugin list and the logs would disagree about it. It
// passes the ABI check, so ClassLoader initialises it (the marker shows that).

#include "InitMarker.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class MisnamedPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "someone_else"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(MisnamedPlugin)

BROKEN_PLUGIN_INIT_MARKER("broken_misnamed")
