#pragma once

// The example plugin's public service, the smallest shape of one: an
// interface in the plugin's own include/clinic/<plugin>/ header, marked
// CLINIC_SERVICE_INTERFACE, and a versioned name. Other plugins include this
// header and nothing else of the example plugin
// (CMake: clinic_plugin_uses(<your plugin> example)).

#include <cstdint>
#include <optional>
#include <string>

#include "clinic/ServiceInterface.h"

namespace clinic::example {

/// Published by the example plugin as kNotesService; absent (find() answers
/// nullptr) when the example plugin is not loaded.
class CLINIC_SERVICE_INTERFACE Notes {
public:
    virtual ~Notes() = default;

    /// How many notes are stored.
    virtual std::int64_t count() = 0;

    /// The text of note noteId, if there is such a note.
    virtual std::optional<std::string> text(std::int64_t noteId) = 0;
};

/// The ServiceRegistry name of Notes, version 1 of its interface.
inline constexpr const char* kNotesService = "example.notes.v1";

} // namespace clinic::example
