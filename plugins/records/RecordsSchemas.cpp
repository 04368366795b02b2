#include "RecordsSchemas.h"

namespace records::schemas {

using clinic::Schema;

namespace {

Schema writtenBy(Schema s)
{
    return s.required("created_at", Schema::dateTime())
        .required("created_by", Schema::id().describe("an account"));
}

Schema takenAt()
{
    return Schema::dateTime().describe("RFC 3339 with an offset; not in the future");
}

Schema diagnosis()
{
    return Schema::object()
        .required("code", Schema::string(1, 10).describe("ICD-10, e.g. J06.9"))
        .optional("system", Schema::enumOf({"ICD-10"}))
        .optional("text", Schema::string(0, 300));
}

} // namespace

Schema patient()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("first_name", Schema::string())
        .required("last_name", Schema::string())
        .required("birth_date", Schema::date())
        .required("sex", Schema::enumOf({"female", "male", "other", "unknown"}))
        .required("phone", Schema::string())
        .required("email", Schema::string().nullable())
        .required("national_id", Schema::string().nullable())
        .required("language", Schema::enumOf({"en", "ro"}))
        // Clinical data: shown only to a caller who may see it.
        .optional("allergies", Schema::array(Schema::string()))
        .required("created_at", Schema::dateTime())
        .required("updated_at", Schema::dateTime());
}

Schema patientInput(bool create)
{
    auto in = Schema::object();
    auto field = [&](const std::string& name, const Schema& s) {
        create ? in.required(name, s) : in.optional(name, s);
    };
    field("first_name", Schema::string(1, 100));
    field("last_name", Schema::string(1, 100));
    field("birth_date", Schema::date().describe("not in the future"));
    field("sex", Schema::enumOf({"female", "male", "other", "unknown"}));
    field("phone", Schema::string(1, 40).describe("6 to 15 digits, optional leading +"));
    in.optional("email", Schema::string(0, 254).format("email").nullable())
        .optional(
            "national_id", Schema::string(0, 32).nullable().describe("letters and digits; a CNP is checked"))
        .optional("language", Schema::enumOf({"en", "ro"}))
        .optional("allergies", Schema::array(Schema::string(0, 200)).maxItems(100))
        .optional("force",
            Schema::boolean().describe(
                "true: save even though it looks like an existing patient (else 409)"));
    if (!create)
        in.describe("only the fields to change");
    return in;
}

Schema encounter()
{
    return writtenBy(Schema::object()
                         .required("id", Schema::id())
                         .required("patient_id", Schema::id())
                         .required("version", Schema::integer().describe("1, then one more per correction"))
                         .optional("supersedes", Schema::id().describe("the version this one corrects"))
                         .optional("appointment_id", Schema::id())
                         .required("doctor_id", Schema::id())
                         .required("summary", Schema::string())
                         .required("diagnoses", Schema::array(diagnosis()))
                         .required("notes", Schema::string()));
}

Schema encounterWithHistory()
{
    return Schema(encounter())
        .required("current", Schema::boolean())
        .required("history", Schema::array(encounter()).describe("earlier versions, oldest first"));
}

Schema encounterInput()
{
    return Schema::object()
        .optional("supersedes", Schema::id().describe("correct this encounter: the new version replaces it"))
        .optional("appointment_id", Schema::id())
        .optional("doctor_id", Schema::id().describe("required unless the caller is a doctor"))
        .required("summary", Schema::string(1, 500))
        .optional("notes", Schema::string(0, 16000))
        .optional("diagnoses", Schema::array(diagnosis()).maxItems(50));
}

Schema vitals()
{
    return writtenBy(Schema::object()
                         .required("id", Schema::id())
                         .required("patient_id", Schema::id())
                         .required("taken_at", Schema::dateTime())
                         .optional("systolic", Schema::integer())
                         .optional("diastolic", Schema::integer())
                         .optional("pulse", Schema::integer())
                         .optional("temperature_c", Schema::number())
                         .optional("weight_kg", Schema::number())
                         .optional("height_cm", Schema::number())
                         .optional("spo2", Schema::integer()));
}

Schema vitalsInput()
{
    return Schema::object()
        .required("taken_at", takenAt())
        .optional("systolic", Schema::integer(40, 300).describe("with diastolic"))
        .optional("diastolic", Schema::integer(20, 200).describe("with systolic, below it"))
        .optional("pulse", Schema::integer(20, 300))
        .optional("temperature_c", Schema::number(25.0, 45.0))
        .optional("weight_kg", Schema::number(0.2, 500.0))
        .optional("height_cm", Schema::number(20.0, 280.0))
        .optional("spo2", Schema::integer(50, 100))
        .describe("at least one measurement");
}

Schema labResult()
{
    return writtenBy(Schema::object()
                         .required("id", Schema::id())
                         .required("patient_id", Schema::id())
                         .required("test", Schema::string())
                         .required("value", Schema::string().describe("as given: a number or text"))
                         .required("unit", Schema::string())
                         .required("reference_range", Schema::string())
                         .required("flag", Schema::enumOf({"low", "normal", "high", "critical"}))
                         .required("taken_at", Schema::dateTime()));
}

Schema labResultInput()
{
    return Schema::object()
        .required("test", Schema::string(1, 200))
        .required("value",
            Schema::oneOf({Schema::number(), Schema::string(1, 200)})
                .describe("a number (5.4) or text (\"<0.01\")"))
        .optional("unit", Schema::string(0, 50))
        .optional("reference_range", Schema::string(0, 100))
        .optional("flag", Schema::enumOf({"low", "normal", "high", "critical"}).describe("default normal"))
        .required("taken_at", takenAt());
}

Schema document()
{
    return writtenBy(Schema::object()
                         .required("id", Schema::id())
                         .required("patient_id", Schema::id())
                         .required("kind", Schema::string().describe("e.g. other, letter, lab_report"))
                         .required("filename", Schema::string())
                         .required("content_type", Schema::string().describe("decided by the content"))
                         .required("size_bytes", Schema::integer())
                         .required("sha256", Schema::string(64, 64))
                         .required("content_url", Schema::string().describe("GET it to download")));
}

Schema letterInput()
{
    return Schema::object()
        .required("template", Schema::enumOf({"referral", "medical_certificate", "recommendation"}))
        .optional("language", Schema::enumOf({"en", "ro"}).describe("default: the patient's"))
        .optional("fields",
            Schema::object()
                .additional(Schema::string(0, 5000))
                .describe("text for the template's {{placeholders}}, by lower-case name"));
}

Schema patientExport()
{
    return Schema::object()
        .required("exported_at", Schema::dateTime())
        .required("patient", patient())
        .required("encounters", Schema::array(encounterWithHistory()))
        .required("vitals", Schema::array(vitals()))
        .required("lab_results", Schema::array(labResult()))
        .required("documents", Schema::array(document()))
        // Sections other plugins add (records.export_sections.v1), e.g. prescriptions.
        .additional(Schema());
}

} // namespace records::schemas
