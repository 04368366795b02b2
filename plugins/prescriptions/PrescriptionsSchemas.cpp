#include "PrescriptionsSchemas.h"

namespace prescriptions::schemas {

using clinic::Schema;

Schema drug()
{
    return Schema::object()
        .required("id", Schema::id())
        .required(
            "code", Schema::string(1, 64).describe("the clinic's product code; import-drugs matches on it"))
        .required("name", Schema::string(1, 191))
        .required("substance", Schema::string(1, 191).describe("active substance"))
        .required("atc", Schema::string(7, 7).describe("ATC code, level 5"))
        .required("form", Schema::string(1, 64))
        .required("strength", Schema::string(1, 64))
        .required("route", Schema::string(1, 64));
}

namespace {

Schema itemInput()
{
    return Schema::object()
        .optional("drug_id", Schema::id().describe("a catalogue entry (GET /api/v1/drugs); or drug"))
        .optional("drug", Schema::string(1, 200).describe("free text, marked as such; or drug_id"))
        .required("dose", Schema::string(1, 200).describe("e.g. \"500 mg\" (mg, g or mcg give dose_mg)"))
        .optional(
            "route", Schema::string(1, 64).describe("default: the catalogue entry's; required for free text"))
        .required("frequency", Schema::string(1, 200))
        .required("duration_days", Schema::integer(1, 365))
        .required("quantity", Schema::integer(1, 10000))
        .optional("refills", Schema::integer(0, 12))
        .optional("dose_mg", Schema::number(0.001, 1000000).describe("one dose in mg, for the rules"))
        .optional("doses_per_day", Schema::integer(1, 24).describe("for the rules' daily dose"));
}

Schema item()
{
    return Schema::object()
        .required("drug_id", Schema::id().nullable())
        .required("drug", Schema::string().describe("catalogue name and strength, or the free text"))
        .required("free_text", Schema::boolean())
        .required("substance", Schema::string())
        .required("atc", Schema::string())
        .required("form", Schema::string())
        .required("strength", Schema::string())
        .required("dose", Schema::string())
        .required("route", Schema::string())
        .required("frequency", Schema::string())
        .required("duration_days", Schema::integer())
        .required("quantity", Schema::integer())
        .required("refills", Schema::integer())
        .required("dose_mg", Schema::number().nullable())
        .required("doses_per_day", Schema::integer().nullable());
}

} // namespace

Schema renewalRequest()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("prescription_id", Schema::id())
        .required("status", Schema::enumOf({"pending", "approved", "declined"}))
        .required("note", Schema::string())
        .required("requested_at", Schema::dateTime())
        .required("requested_by", Schema::id())
        .required("decided_at", Schema::dateTime().nullable())
        .required("reason", Schema::string().nullable().describe("why it was declined"))
        .required("renewal_id", Schema::id().nullable().describe("the new prescription, once approved"));
}

Schema prescription()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("patient_id", Schema::id())
        .required("doctor_id", Schema::id())
        .required("prescribed_by", Schema::id().describe("the account that wrote it"))
        .required("status",
            Schema::enumOf({"active", "completed", "cancelled"})
                .describe("completed once the longest item's duration has passed"))
        .required("issued_at", Schema::dateTime())
        .required("ends_at", Schema::dateTime())
        .required("notes", Schema::string())
        .required("override_reason", Schema::string().nullable())
        .required("warnings_overridden", Schema::array(Schema::string()))
        .required("renewal_of", Schema::id().nullable())
        .required("cancelled_at", Schema::dateTime().nullable())
        .required("cancelled_by", Schema::id().nullable())
        .required("cancel_reason", Schema::string().nullable())
        .required("items", Schema::array(item()))
        .required("renewal_requests", Schema::array(renewalRequest()));
}

Schema prescriptionInput()
{
    return Schema::object()
        .required("patient_id", Schema::id())
        .optional("doctor_id", Schema::id().describe("default and only value: the caller's doctor id"))
        .required("items", Schema::array(itemInput()).maxItems(50))
        .optional("notes", Schema::string(0, 4000))
        .optional("override_reason",
            Schema::string(1, 500).describe("prescribe despite before_prescribe's warnings (audited)"));
}

Schema reasonInput()
{
    return Schema::object().required("reason", Schema::string(1, 500));
}

} // namespace prescriptions::schemas
