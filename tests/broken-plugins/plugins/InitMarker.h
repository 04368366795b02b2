#pragma once

// POCO's ClassLoader calls a library's pocoInitializeLibrary() when it loads
// the library, before it reads the manifest. Plugins that define it through
// this macro append their name to $BROKEN_PLUGIN_INIT_MARKER, so a test can
// tell which libraries ClassLoader ever ran.

#include <cstdio>
#include <cstdlib>

#define BROKEN_PLUGIN_INIT_MARKER(pluginName)                                                                \
    extern "C" __attribute__((visibility("default"))) void pocoInitializeLibrary()                           \
    {                                                                                                        \
        if (const char* path = std::getenv("BROKEN_PLUGIN_INIT_MARKER")) {                                   \
            if (std::FILE* f = std::fopen(path, "a")) {                                                      \
                std::fputs(pluginName "\n", f);                                                              \
                std::fclose(f);                                                                              \
            }                                                                                                \
        }                                                                                                    \
    }
