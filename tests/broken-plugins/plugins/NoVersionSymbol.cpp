// A POCO manifest without clinic_plugin_api_version: an ordinary POCO class
// library, not a clinicd plugin.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class NoVersionSymbolPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_no_version"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host&) override { }
};

} // namespace

POCO_BEGIN_MANIFEST(clinic::Plugin)
POCO_EXPORT_CLASS(NoVersionSymbolPlugin)
POCO_END_MANIFEST
