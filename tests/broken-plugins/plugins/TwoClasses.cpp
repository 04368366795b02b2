// Two plugin classes in one manifest: the host cannot know which is meant.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class FirstPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_two_classes"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host&) override { }
};

class SecondPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_two_classes"; }
    std::string version() const override { return "0.0.2"; }
    void start(clinic::Host&) override { }
};

} // namespace

extern "C" __attribute__((visibility("default"))) int clinic_plugin_api_version()
{
    return clinic::kPluginApiVersion;
}

POCO_BEGIN_MANIFEST(clinic::Plugin)
POCO_EXPORT_CLASS(FirstPlugin)
POCO_EXPORT_CLASS(SecondPlugin)
POCO_END_MANIFEST
