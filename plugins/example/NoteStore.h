#pragma once

// The implementation behind example.notes.v1 (the interface is in
// include/clinic/example/Notes.h).

#include <memory>

#include "clinic/Database.h"
#include "clinic/example/Notes.h"

namespace example {

/// Reads example_notes for other plugins.
std::shared_ptr<clinic::example::Notes> makeNoteStore(clinic::Database& db);

} // namespace example
