#pragma once

#include "clinic/Schema.h"

/// The shapes of what the scheduling routes accept and answer, for their
/// declarations (and so the OpenAPI document). Each mirrors the FieldReader
/// calls and toJson() of its handler; change them together.
namespace scheduling::schemas {

/// {"weekday": 1..7, "start": "HH:MM", "end": "HH:MM"[, "location_id"]}
clinic::Schema period(bool withLocation);

clinic::Schema location();
/// A location's writable fields: all of the required ones to create, any to change.
clinic::Schema locationInput(bool create);

clinic::Schema service();
clinic::Schema serviceInput(bool create);

clinic::Schema doctor();
/// A doctor with their weekly working hours.
clinic::Schema doctorWithHours();
clinic::Schema doctorInput(bool create);
/// PUT .../hours: the array itself, or {"hours": [...]}.
clinic::Schema hoursInput();
/// {"items": [period]}
clinic::Schema hours();

clinic::Schema timeOff();
clinic::Schema timeOffInput();

/// {"items": [{"start","end","doctor_id","location_id"}]}
clinic::Schema slots();

clinic::Schema appointment();
clinic::Schema bookingInput();
/// One appointment, or a recurring series {"series_id","items","skipped"}.
clinic::Schema booked();
clinic::Schema cancelInput();
/// One appointment, or {"items": [...]} when a series' following ones were cancelled.
clinic::Schema cancelled();
clinic::Schema rescheduleInput();
/// A body the route ignores (a status change carries no fields).
clinic::Schema noFields();

clinic::Schema waitlistEntry();
clinic::Schema waitlistInput();

clinic::Schema dashboard();
clinic::Schema doctorStats();
clinic::Schema department();
clinic::Schema departmentInput(bool create);
clinic::Schema monthlyReport();

} // namespace scheduling::schemas
