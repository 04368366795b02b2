// Prescribing through HTTP: a valid prescription and what it writes, bad
// input on every field (4xx in the envelope, nothing written), the three
// example rule scripts, the catalogue and its import, the patient export.

#include "PrescriptionsFixture.h"

namespace {

long prescriptions()
{
    return count("prescriptions_prescriptions");
}

} // namespace

class PrescribingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PrescribingTest);
    CPPUNIT_TEST(aPrescriptionIsStoredAuditedAndAnnounced);
    CPPUNIT_TEST(badInputIsRefusedAndWritesNothing);
    CPPUNIT_TEST(textIsStoredVerbatim);
    CPPUNIT_TEST(penicillinAllergyRejectsAmoxicillin);
    CPPUNIT_TEST(duplicateTherapyWarnsUntilOverridden);
    CPPUNIT_TEST(childDoseIsCheckedAgainstTheLatestWeight);
    CPPUNIT_TEST(aFailingRuleRefusesThePrescription);
    CPPUNIT_TEST(catalogueSearchesByNameOrSubstancePrefix);
    CPPUNIT_TEST(importIsIdempotentAndAllOrNothing);
    CPPUNIT_TEST(patientExportIncludesPrescriptions);
    CPPUNIT_TEST_SUITE_END();

public:
    void aPrescriptionIsStoredAuditedAndAnnounced()
    {
        const auto patient = newPatient("Issued");
        const double before = prescriptionsTotal("issued");
        auto r = prescribe(patient,
            item(drug("DEMO-PARA-500"))
                + R"(,{"drug":"Magistral cream 2%","dose":"thin layer","route":"topical",)"
                  R"("frequency":"twice a day","duration_days":14,"quantity":1})",
            R"(,"notes":"after meals")");
        const auto id = issued(r);
        auto p = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("active"), p->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-15T09"), p->getValue<std::string>("ends_at").substr(0, 13));
        auto items = p->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), items->size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("Paracetamol 500 mg"), items->getObject(0)->getValue<std::string>("drug"));
        CPPUNIT_ASSERT_EQUAL(std::string("N02BE01"), items->getObject(0)->getValue<std::string>("atc"));
        CPPUNIT_ASSERT_EQUAL(500.0, items->getObject(0)->getValue<double>("dose_mg"));
        CPPUNIT_ASSERT(items->getObject(1)->getValue<bool>("free_text"));
        CPPUNIT_ASSERT(items->getObject(1)->isNull("drug_id"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.create", patient));
        CPPUNIT_ASSERT_EQUAL(before + 1, prescriptionsTotal("issued"));
        // The notice the notifications plugin sends, scheduled with the prescription.
        const std::string key = "notice:prescription:" + std::to_string(id) + ":issued";
        CPPUNIT_ASSERT_EQUAL(
            1L, count("jobs", "kind = 'prescription.notice' AND idempotency_key = '" + key + "'"));
        const std::string payload = sql("SELECT payload FROM jobs WHERE idempotency_key = '" + key + "'");
        CPPUNIT_ASSERT_MESSAGE(payload, payload.find("\"what\":\"issued\"") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            payload, payload.find("Paracetamol 500 mg, Magistral cream 2%") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            payload, payload.find("\"doctor_name\":\"Dr. Elena Ionescu\"") != std::string::npos);
    }

    void badInputIsRefusedAndWritesNothing()
    {
        const auto patient = newPatient("Invalid");
        const long before = prescriptions(), items = count("prescriptions_items");
        const double invalid = prescriptionsTotal("invalid");
        const auto para = drug("DEMO-PARA-500");
        auto expectField = [&](const std::string& body, const std::string& field) {
            auto r = client().post("/api/v1/prescriptions", body, as("doctor"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + r.body, 422, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
            auto fields = r.json()->getObject("error")->getObject("details")->getObject("fields");
            CPPUNIT_ASSERT_MESSAGE(field + " not named in " + r.body, fields->has(field));
        };
        expectField(R"({"patient_id":)" + std::to_string(patient) + "}", "items");
        expectField(prescriptionBody(patient, ""), "items");
        expectField(prescriptionBody(patient, item(para, R"(,"quantity":0)")), "items[0].quantity");
        expectField(prescriptionBody(patient, item(para, R"(,"quantity":-3)")), "items[0].quantity");
        expectField(prescriptionBody(patient, item(para, R"(,"duration_days":0)")), "items[0].duration_days");
        expectField(prescriptionBody(patient, item(para, R"(,"refills":-1)")), "items[0].refills");
        expectField(prescriptionBody(patient, item(987654321)), "items[0].drug_id");
        expectField(prescriptionBody(patient, item(para) + "," + item(-4)), "items[1].drug_id");
        expectField(prescriptionBody(patient, item(para, R"(,"drug":"also free text")")), "items[0].drug_id");
        expectField(prescriptionBody(patient,
                        R"({"drug":"x","dose":"1","frequency":"daily","duration_days":1,"quantity":1})"),
            "items[0].route");
        expectField(prescriptionBody(patient, R"("not an object")"), "items[0]");
        expectField(prescriptionBody(987654321, item(para)), "patient_id");
        expectField(prescriptionBody(patient, item(para), R"(,"doctor_id":2)"), "doctor_id");
        std::string fiftyOne;
        for (int i = 0; i < 51; ++i)
            fiftyOne += (i ? "," : "") + item(para);
        expectField(prescriptionBody(patient, fiftyOne), "items");
        // 10,000 items: refused whole, either by the size limit or the item limit.
        std::string many;
        for (int i = 0; i < 10000; ++i)
            many += (i ? "," : "") + item(para);
        auto huge = client().post("/api/v1/prescriptions", prescriptionBody(patient, many), as("doctor"));
        CPPUNIT_ASSERT_MESSAGE(huge.body, huge.status == 413 || huge.status == 422);
        CPPUNIT_ASSERT(!huge.errorCode().empty());
        auto malformed = client().post("/api/v1/prescriptions", "{\"patient_id\":", as("doctor"));
        CPPUNIT_ASSERT_EQUAL(400, malformed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("MALFORMED_JSON"), malformed.errorCode());
        CPPUNIT_ASSERT_EQUAL(before, prescriptions());
        CPPUNIT_ASSERT_EQUAL(items, count("prescriptions_items"));
        CPPUNIT_ASSERT(prescriptionsTotal("invalid") >= invalid + 14);

        // The other writes refuse bad input the same way.
        const auto id = issued(prescribe(patient, item(para)));
        auto cancel = client().post(path(id, "/cancel"), "{}", as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 422, cancel.status);
        auto note = client().post(path(id, "/renewal-requests"), R"({"note":17})", as("admin"));
        CPPUNIT_ASSERT_EQUAL(403, note.status);
        CPPUNIT_ASSERT_EQUAL(std::string("active"),
            client().get(path(id), as("doctor")).json()->getValue<std::string>("status"));
    }

    void textIsStoredVerbatim()
    {
        const auto patient = newPatient("Verbatim");
        const std::string notes
            = R"(Robert'); DROP TABLE prescriptions_items;-- \"quoted\" <b>bold</b> Ștefan Țuțea 日本語)";
        const std::string drugText = R"(Sirop \"Ñandú\" ' OR 1=1 --)";
        auto r = prescribe(patient,
            R"({"drug":")" + drugText
                + R"(","dose":"5 ml","route":"oral","frequency":"once","duration_days":3,"quantity":1})",
            R"(,"notes":")" + notes + "\"");
        const auto id = issued(r);
        auto p = client().get(path(id), as("doctor")).json();
        CPPUNIT_ASSERT_EQUAL(
            std::string(
                R"(Robert'); DROP TABLE prescriptions_items;-- "quoted" <b>bold</b> Ștefan Țuțea 日本語)"),
            p->getValue<std::string>("notes"));
        CPPUNIT_ASSERT_EQUAL(std::string(R"(Sirop "Ñandú" ' OR 1=1 --)"),
            p->getArray("items")->getObject(0)->getValue<std::string>("drug"));
        // Printed, the markup is text.
        auto page = client().get(path(id, "/print?lang=ro"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(page.body, 200, page.status);
        CPPUNIT_ASSERT(page.body.find("&lt;b&gt;bold&lt;/b&gt;") != std::string::npos);
        CPPUNIT_ASSERT(page.body.find("<b>bold</b>") == std::string::npos);
        CPPUNIT_ASSERT(page.body.find("Rețetă nr.") != std::string::npos);
        CPPUNIT_ASSERT(page.body.find("@media print") != std::string::npos);
        CPPUNIT_ASSERT(page.body.find("Dr. Elena Ionescu") != std::string::npos);
        auto en = client().get(path(id, "/print?lang=en"), as("doctor"));
        CPPUNIT_ASSERT(en.body.find("Prescription no. " + std::to_string(id)) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(422, client().get(path(id, "/print?lang=fr"), as("doctor")).status);
        CPPUNIT_ASSERT_EQUAL(2L, audited("prescription.print", patient)); // ro and en
    }

    void penicillinAllergyRejectsAmoxicillin()
    {
        const auto patient = newPatient("Allergic", "1985-06-15", R"x(["Penicillin (rash)"])x");
        const long before = prescriptions();
        const double rejected = prescriptionsTotal("rejected");
        auto r = prescribe(patient, item(drug("DEMO-AMOX-500")));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), r.errorCode());
        auto details = r.json()->getObject("error")->getObject("details");
        CPPUNIT_ASSERT_EQUAL(std::string("before_prescribe"), details->getValue<std::string>("rule"));
        const std::string reason = details->getValue<std::string>("reason");
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("J01CA04") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("J01C") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(before, prescriptions());
        CPPUNIT_ASSERT_EQUAL(rejected + 1, prescriptionsTotal("rejected"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.create", patient, "rejected"));
        // Another class is fine for the same patient.
        issued(prescribe(patient, item(drug("DEMO-AZIT-500"))));
    }

    void duplicateTherapyWarnsUntilOverridden()
    {
        const auto patient = newPatient("Duplicate");
        const auto first = issued(prescribe(patient, item(drug("DEMO-PARA-500"))));
        const long before = prescriptions();
        // The suspension is the same ATC group (N02BE) as the active tablets.
        auto r = prescribe(patient, item(drug("DEMO-PARA-120S")));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_WARNING"), r.errorCode());
        auto warnings = r.json()->getObject("error")->getObject("details")->getArray("warnings");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), warnings->size());
        const std::string warning = warnings->getElement<std::string>(0);
        CPPUNIT_ASSERT_MESSAGE(warning, warning.find("N02BE") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(warning, warning.find(std::to_string(first)) != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(before, prescriptions());
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.create", patient, "warned"));

        const double overridden = prescriptionsTotal("overridden");
        auto again = prescribe(
            patient, item(drug("DEMO-PARA-120S")), R"(,"override_reason":"tablets run out tomorrow")");
        const auto id = issued(again);
        CPPUNIT_ASSERT_EQUAL(
            std::string("tablets run out tomorrow"), again.json()->getValue<std::string>("override_reason"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), again.json()->getArray("warnings_overridden")->size());
        CPPUNIT_ASSERT_EQUAL(overridden + 1, prescriptionsTotal("overridden"));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'prescription.override' AND object_id = '" + std::to_string(id)
                    + "' AND reason LIKE 'tablets run out tomorrow%'"));
        // Another group raises no warning.
        issued(prescribe(patient, item(drug("DEMO-IBUP-400"))));
    }

    void childDoseIsCheckedAgainstTheLatestWeight()
    {
        // Eight at the fixture's clock (2027-03-01).
        const auto child = newPatient("Child", "2018-09-01");
        auto vitals = [&](const std::string& at, const std::string& kg) {
            auto r = client().post("/api/v1/patients/" + std::to_string(child) + "/vitals",
                R"({"taken_at":")" + at + R"(","weight_kg":)" + kg + "}", as("nurse"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        };
        const auto suspension = drug("DEMO-PARA-120S");
        const std::string dose = R"(,"dose":"240 mg","dose_mg":240,"doses_per_day":4)"; // 960 mg a day
        // No weight yet: the dose cannot be checked, a warning says so.
        auto unchecked = prescribe(child, item(suspension, dose));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(unchecked.body, std::string("RULE_WARNING"), unchecked.errorCode());
        // 14 kg allows 840 mg a day (60 mg/kg): 960 is refused with the figures.
        vitals("2027-01-10T09:00:00Z", "25");
        vitals("2027-02-20T09:00:00Z", "14");
        auto r = prescribe(child, item(suspension, dose));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, std::string("RULE_REJECTED"), r.errorCode());
        const std::string reason
            = r.json()->getObject("error")->getObject("details")->getValue<std::string>("reason");
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("960 mg") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(reason, reason.find("840 mg") != std::string::npos);
        // Within the maximum it is issued.
        issued(prescribe(child, item(suspension, R"(,"dose":"180 mg","dose_mg":180,"doses_per_day":4)")));
        // An adult's dose is not checked by weight.
        issued(prescribe(newPatient("Adult"), item(suspension, dose)));
    }

    void aFailingRuleRefusesThePrescription()
    {
        auto& w = world();
        const auto patient = newPatient("RuleError");
        TempDir rules;
        writeFile(
            rules.file("broken.lua"), "function before_prescribe(ctx) error('formulary offline') end\n");
        // The same database, served by a daemon whose script fails at every call.
        Daemon::Options o = clinicDaemonOptions("records,scheduling,prescriptions");
        o.dataDir = w.clinic->daemon().dataDir();
        o.dbUrl = w.clinic->daemon().dbUrl();
        o.config["clock.start"] = kClockStart;
        o.config["rules.dir"] = rules.path();
        Daemon broken(o);
        auto c = broken.client();
        const auto doctor = bearer(signIn(c, w.clinic->account("doctor").username).accessToken);
        const long before = prescriptions();
        auto r
            = c.post("/api/v1/prescriptions", prescriptionBody(patient, item(drug("DEMO-PARA-500"))), doctor);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("RULE_REJECTED"), r.errorCode());
        CPPUNIT_ASSERT_EQUAL(std::string("rule error"),
            r.json()->getObject("error")->getObject("details")->getValue<std::string>("reason"));
        CPPUNIT_ASSERT(r.body.find("formulary offline") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(before, prescriptions());
        CPPUNIT_ASSERT_EQUAL(1L, audited("prescription.create", patient, "rejected"));
    }

    void catalogueSearchesByNameOrSubstancePrefix()
    {
        world();
        auto names = [](const HttpResult& r) {
            std::string out;
            auto items = r.json()->getArray("items");
            for (std::size_t i = 0; i < items->size(); ++i)
                out += items->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") + ",";
            return out;
        };
        auto amox = client().get("/api/v1/drugs?q=AMOX", as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(amox.body, 200, amox.status);
        CPPUNIT_ASSERT_EQUAL(std::string("DEMO-AMOX-500,DEMO-AMOX-250S,DEMO-AMCL-875,"), names(amox));
        auto bySubstance = client().get("/api/v1/drugs?q=levothyrox", as("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::string("DEMO-LEVO-50,"), names(bySubstance));
        CPPUNIT_ASSERT_EQUAL(std::string(""), names(client().get("/api/v1/drugs?q=%25", as("doctor"))));
        auto page = client().get("/api/v1/drugs?limit=10", as("doctor"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(10), page.json()->getArray("items")->size());
        auto next = page.json()->getValue<std::string>("next_cursor");
        auto rest = client().get("/api/v1/drugs?limit=500&cursor=" + next, as("doctor"));
        CPPUNIT_ASSERT(rest.json()->isNull("next_cursor"));
        CPPUNIT_ASSERT_EQUAL(403, client().get("/api/v1/drugs?q=a", as("receptionist")).status);
    }

    void importIsIdempotentAndAllOrNothing()
    {
        Daemon& d = world().clinic->daemon();
        TempDir dir;
        // The demo catalogue again: nothing changes.
        auto again = clinicctl(d, {"import-drugs", sourceDir() + "/data/demo/drugs.csv"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.err, 0, again.exitCode);
        CPPUNIT_ASSERT_EQUAL(std::string("drugs: 0 added, 0 updated, 26 unchanged\n"), again.out);
        const std::string before = sql("SELECT COUNT(*), MAX(updated_at) FROM prescriptions_drugs");

        const std::string header = "code,name,substance,atc,form,strength,route\n";
        writeFile(dir.file("bad.csv"),
            header
                + "X-NEW-1,Newdrug,newsubstance,N02BE01,tablet,1 mg,oral\n"
                  "DEMO-PARA-500,Paracetamol,paracetamol,N02BE01,tablet,650 mg,oral\n"
                  "X-NEW-2,Broken,broken,NOT-ATC,tablet,1 mg,oral\n"
                  "X-NEW-3,\"Quoted, name\",x,A02BC01,tablet\n");
        auto bad = clinicctl(d, {"import-drugs", dir.file("bad.csv")});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(bad.out + bad.err, 65, bad.exitCode);
        CPPUNIT_ASSERT_MESSAGE(bad.err, bad.err.find("line 4: atc \"NOT-ATC\"") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            bad.err, bad.err.find("line 5: expected 7 fields, found 5") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(bad.err, bad.err.find("nothing imported") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(0L, count("prescriptions_drugs", "code LIKE 'X-NEW-%'"));
        CPPUNIT_ASSERT_EQUAL(before, sql("SELECT COUNT(*), MAX(updated_at) FROM prescriptions_drugs"));

        writeFile(dir.file("good.csv"),
            header + "X-NEW-1,\"Newdrug, forte\",newsubstance,N02BE01,tablet,1 mg,oral\n");
        auto good = clinicctl(d, {"import-drugs", dir.file("good.csv")});
        CPPUNIT_ASSERT_EQUAL(std::string("drugs: 1 added, 0 updated, 0 unchanged\n"), good.out);
        writeFile(dir.file("good.csv"),
            header + "X-NEW-1,\"Newdrug, forte\",newsubstance,N02BE01,tablet,2 mg,oral\n");
        auto changed = clinicctl(d, {"import-drugs", dir.file("good.csv")});
        CPPUNIT_ASSERT_EQUAL(std::string("drugs: 0 added, 1 updated, 0 unchanged\n"), changed.out);
        CPPUNIT_ASSERT_EQUAL(
            std::string("2 mg"), sql("SELECT strength FROM prescriptions_drugs WHERE code = 'X-NEW-1'"));
        auto missing = clinicctl(d, {"import-drugs", dir.file("none.csv")});
        CPPUNIT_ASSERT_EQUAL(66, missing.exitCode);
        auto unknown = clinicctl(d, {"import-drug", dir.file("good.csv")});
        CPPUNIT_ASSERT_EQUAL(64, unknown.exitCode);
        CPPUNIT_ASSERT_MESSAGE(unknown.err, unknown.err.find("import-drugs FILE.csv") != std::string::npos);
        // seed-demo loads the same catalogue, and changes nothing now.
        auto seed = clinicctl(d, {"seed-demo"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(seed.out + seed.err, 0, seed.exitCode);
        CPPUNIT_ASSERT_MESSAGE(seed.out,
            seed.out.find("prescriptions: drug catalogue: 0 added, 0 updated, 26 unchanged")
                != std::string::npos);
    }

    void patientExportIncludesPrescriptions()
    {
        const auto patient = newPatient("Exported");
        const auto id = issued(prescribe(patient, item(drug("DEMO-OMEP-20"))));
        auto r = client().get("/api/v1/patients/" + std::to_string(patient) + "/export", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto list = r.json()->getArray("prescriptions");
        CPPUNIT_ASSERT_MESSAGE(r.body, list);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), list->size());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(id), list->getObject(0)->getValue<Poco::Int64>("id"));
        CPPUNIT_ASSERT_EQUAL(std::string("Omeprazole 20 mg"),
            list->getObject(0)->getArray("items")->getObject(0)->getValue<std::string>("drug"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PrescribingTest);
