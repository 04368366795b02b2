// Fails while the host creates it from the manifest.

#include <stdexcept>

#include "clinic/Host.h"
#include "clinic/Plugin.h"

namespace {

class ConstructorThrowsPlugin : public clinic::Plugin {
public:
    ConstructorThrowsPlugin() { throw std::runtime_error("constructor refuses to build"); }
    std::string name() const override { return "broken_ctor_throws"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host&) override { }
};

} // namespace

CLINIC_PLUGIN(ConstructorThrowsPlugin)
