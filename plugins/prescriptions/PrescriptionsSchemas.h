#pragma once

// What the routes accept and answer, for the OpenAPI document.

#include "clinic/Schema.h"

namespace prescriptions::schemas {

clinic::Schema drug();
clinic::Schema prescription();
clinic::Schema prescriptionInput();
clinic::Schema renewalRequest();
clinic::Schema reasonInput();

} // namespace prescriptions::schemas
