// Reads a data symbol nothing defines. Data relocations (GOT entries for
// variables) are bound when the library is mapped, even with RTLD_LAZY, so
// dlopen itself fails before the host can ask for any symbol.

#include "clinic/Host.h"
#include "clinic/Plugin.h"

extern "C" int clinic_no_such_symbol;

namespace {

class UnresolvedSymbolPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "broken_unresolved"; }
    std::string version() const override { return "0.0.1"; }
    void start(clinic::Host& host) override
    {
        if (clinic_no_such_symbol == 42)
            host.logger().information("unreachable: the library cannot load");
    }
};

} // namespace

CLINIC_PLUGIN(UnresolvedSymbolPlugin)
