// The right version symbol and nothing else: there is no plugin class to make.

#include "clinic/Plugin.h"

extern "C" __attribute__((visibility("default"))) int clinic_plugin_api_version()
{
    return clinic::kPluginApiVersion;
}
