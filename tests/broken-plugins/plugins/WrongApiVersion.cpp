// Built for a future plugin API: the host must refuse it from the version
// symbol alone, before POCO's ClassLoader initialises it or runs its manifest.

#include "InitMarker.h"
#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class WrongApiVersionPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_wrong_api"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host&) override { }
};

} // namespace

extern "C" __attribute__((visibility("default"))) int clinic_plugin_api_version()
{
    return 999;
}

POCO_BEGIN_MANIFEST(clinic::Plugin)
POCO_EXPORT_CLASS(WrongApiVersionPlugin)
POCO_END_MANIFEST

BROKEN_PLUGIN_INIT_MARKER("broken_wrong_api")
