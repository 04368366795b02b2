#pragma once

#include "clinic/Schema.h"

/// The shapes of what the records routes accept and answer, for their
/// declarations (and so the OpenAPI document). Each mirrors the FieldReader
/// calls and JSON of its handler; change them together.
namespace records::schemas {

clinic::Schema patient();
/// A patient's writable fields: the required ones to create, any to change.
clinic::Schema patientInput(bool create);

clinic::Schema encounter();
/// The current version of an encounter with its earlier versions.
clinic::Schema encounterWithHistory();
clinic::Schema encounterInput();

clinic::Schema vitals();
clinic::Schema vitalsInput();

clinic::Schema labResult();
clinic::Schema labResultInput();

/// A stored document's metadata.
clinic::Schema document();
clinic::Schema letterInput();

/// Everything held about a patient.
clinic::Schema patientExport();

} // namespace records::schemas
