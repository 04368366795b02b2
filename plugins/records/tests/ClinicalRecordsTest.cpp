// Encounters, vitals and lab results: versions, validation, unknown patients.

#include "RecordsFixture.h"

class ClinicalRecordsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ClinicalRecordsTest);
    CPPUNIT_TEST(encounterCorrectionIsANewVersionThatKeepsTheOldOneReadable);
    CPPUNIT_TEST(impossibleVitalsAndBadClinicalInputAreRefusedAndNothingIsWritten);
    CPPUNIT_TEST(writesToAnUnknownPatientAreNotFoundAndWriteNothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void encounterCorrectionIsANewVersionThatKeepsTheOldOneReadable()
    {
        const auto id = newPatient("Encounter");
        auto r = client().post(path(id, "/encounters"),
            R"({"summary":"Hypertension follow-up",)"
            R"("diagnoses":[{"code":"I10","text":"essential"}],"appointment_id":5})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const auto first = r.json()->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(7), r.json()->getValue<Poco::Int64>("doctor_id")); // the caller's
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), r.json()->getValue<Poco::Int64>("version"));
        r = client().post(path(id, "/encounters"),
            R"({"supersedes":)" + std::to_string(first)
                + R"(,"summary":"Hypertension and type 2 diabetes","diagnoses":[{"code":"I10","system":"ICD-10",)"
                  R"("text":"essential"},{"code":"E11.65","system":"ICD-10","text":"T2DM with hyperglycaemia"}]})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const auto second = r.json()->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), r.json()->getValue<Poco::Int64>("version"));
        // Correcting a version already corrected would fork the history.
        r = client().post(path(id, "/encounters"),
            R"({"supersedes":)" + std::to_string(first) + R"(,"summary":"again"})", as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);

        r = client().get(path(id, "/encounters"), as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto items = r.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), items->size());
        auto current = items->getObject(0);
        CPPUNIT_ASSERT_EQUAL(second, current->getValue<Poco::Int64>("id"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), current->getArray("diagnoses")->size());
        auto history = current->getArray("history");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), history->size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("Hypertension follow-up"), history->getObject(0)->getValue<std::string>("summary"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), history->getObject(0)->getValue<Poco::Int64>("appointment_id"));
        CPPUNIT_ASSERT_EQUAL(2L, count("records_encounters", "patient_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(1L, audited("encounter.create", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("encounter.correct", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("encounter.list", id, "nurse"));

        // Invalid codes, wrong types, another patient's encounter: nothing written.
        for (const std::string code : {"J069", "j06.9", "06.9", "J06.", "X", "J06.9999999"}) {
            r = client().post(path(id, "/encounters"),
                R"({"doctor_id":7,"summary":"s","diagnoses":[{"code":")" + code + R"("}]})", as("admin"));
            CPPUNIT_ASSERT_MESSAGE(code + " " + r.body, invalidFields(r)->has("diagnoses[0].code"));
        }
        r = client().post(path(id, "/encounters"),
            R"({"doctor_id":"7","summary":5,"diagnoses":{"code":"I10"}})", as("admin"));
        auto fields = invalidFields(r);
        CPPUNIT_ASSERT(fields->has("doctor_id") && fields->has("summary") && fields->has("diagnoses"));
        const auto stranger = newPatient("Stranger");
        r = client().post(path(stranger, "/encounters"),
            R"({"supersedes":)" + std::to_string(second) + R"(,"summary":"x","doctor_id":7})", as("admin"));
        CPPUNIT_ASSERT(invalidFields(r)->has("supersedes"));
        CPPUNIT_ASSERT_EQUAL(2L,
            count("records_encounters",
                "patient_id IN (" + std::to_string(id) + "," + std::to_string(stranger) + ")"));
    }

    void impossibleVitalsAndBadClinicalInputAreRefusedAndNothingIsWritten()
    {
        const auto id = newPatient("Vitals");
        auto r = client().post(path(id, "/vitals"), kVitals, as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT_EQUAL(
            std::string("2026-01-10T07:30:00Z"), r.json()->getValue<std::string>("taken_at"));
        CPPUNIT_ASSERT_EQUAL(36.6, r.json()->getValue<double>("temperature_c"));
        const std::map<std::string, std::string> impossible = {
            {R"({"taken_at":"2026-01-10T09:30:00Z","systolic":400,"diastolic":80})", "systolic"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","systolic":80,"diastolic":120})", "diastolic"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","pulse":0})", "pulse"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","temperature_c":52.5})", "temperature_c"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","temperature_c":"hot"})", "temperature_c"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","weight_kg":-3})", "weight_kg"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","height_cm":900})", "height_cm"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","spo2":120})", "spo2"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","spo2":97.5})", "spo2"},
            {R"({"taken_at":"2026-01-10 09:30","pulse":70})", "taken_at"},
            {R"({"taken_at":"2026-01-10T09:30:00","pulse":70})", "taken_at"},
            {R"({"taken_at":"2099-01-10T09:30:00Z","pulse":70})", "taken_at"},
            {R"({"taken_at":"2026-01-10T09:30:00Z"})", "systolic"},
            {R"({"taken_at":"2026-01-10T09:30:00Z","systolic":120})", "diastolic"},
        };
        for (const auto& [body, field] : impossible) {
            r = client().post(path(id, "/vitals"), body, as("nurse"));
            CPPUNIT_ASSERT_MESSAGE(body + " -> " + r.body, invalidFields(r)->has(field));
        }
        CPPUNIT_ASSERT_EQUAL(1L, count("records_vitals", "patient_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(1L, audited("vitals.create", id, "nurse"));

        r = client().post(path(id, "/lab-results"), kLab, as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("6.1"), r.json()->getValue<std::string>("value"));
        r = client().post(path(id, "/lab-results"),
            R"({"test":"","value":true,"flag":"weird","taken_at":"yesterday"})", as("doctor"));
        auto fields = invalidFields(r);
        for (const std::string f : {"test", "value", "flag", "taken_at"})
            CPPUNIT_ASSERT_MESSAGE(f, fields->has(f));
        CPPUNIT_ASSERT_EQUAL(1L, count("records_lab_results", "patient_id = " + std::to_string(id)));
        r = client().get(path(id, "/lab-results"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.json()->getArray("items")->size());
        r = client().get(path(id, "/vitals"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("lab_result.create", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("lab_result.list", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("vitals.list", id, "doctor"));
    }

    void writesToAnUnknownPatientAreNotFoundAndWriteNothing()
    {
        const long before = count("records_vitals") + count("records_encounters")
            + count("records_lab_results") + count("records_documents");
        const std::string unknown = path(987654321);
        CPPUNIT_ASSERT_EQUAL(404, client().post(unknown + "/vitals", kVitals, as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, client().post(unknown + "/lab-results", kLab, as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, client().post(unknown + "/encounters", kEncounter, as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404,
            client()
                .request("POST", unknown + "/documents?filename=a.png", kPng, as("admin"), "image/png")
                .status);
        CPPUNIT_ASSERT_EQUAL(
            404, client().request("PATCH", unknown, R"({"phone":"0700000000"})", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, client().get(unknown, as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, client().get("/api/v1/patients/abc", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(before,
            count("records_vitals") + count("records_encounters") + count("records_lab_results")
                + count("records_documents"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClinicalRecordsTest);
