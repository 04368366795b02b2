// The records plugin through the real clinicd. One daemon serves the whole
// suite (accounts cost a scrypt hash each); every test makes its own
// patients, so the tests do not depend on each other's order.

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

const std::string kPng
    = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0", 25) + "pixels";
const std::string kElf = std::string("\x7F"
                                     "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
                             16)
    + "machine code";
// A small limit keeps the test's uploads small.
const std::size_t kMaxDocument = 8 * 1024;

struct World {
    std::unique_ptr<Daemon> daemon;
    std::unique_ptr<HttpClient> client;
    std::map<std::string, Account> as; ///< by role
    std::int64_t ownPatient = 0; ///< the patient account's record
    std::int64_t otherPatient = 0;
};

void setUpAccounts(World& w);

World& world()
{
    static World w;
    if (w.daemon)
        return w;
    Daemon::Options o;
    o.config["plugins.load"] = "records";
    o.config["auth.rate_limit_per_minute"] = "0";
    o.config["auth.registration"] = "true";
    o.config["records.max_document_bytes"] = std::to_string(kMaxDocument);
    o.config["records.templates_dir"] = sourceDir() + "/data/templates";
    auto daemon = std::make_unique<Daemon>(o);
    // A daemon that cannot start the plugin says why in its log.
    CPPUNIT_ASSERT_MESSAGE(daemon->log(), daemon->log().find("started plugin records") != std::string::npos);
    w.daemon = std::move(daemon);
    w.client = std::make_unique<HttpClient>("127.0.0.1", w.daemon->port());
    try {
        setUpAccounts(w);
    } catch (const std::exception& e) {
        const std::string log = w.daemon->log();
        w.daemon.reset();
        throw std::runtime_error(
            std::string(e.what()) + "\n" + log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
    }
    return w;
}

void setUpAccounts(World& w)
{
    auto& c = *w.client;
    w.as["admin"] = firstAdmin(*w.daemon, c);
    auto make = [&](const std::string& body) {
        auto r = c.post("/api/v1/patients", body, bearer(w.as["admin"].accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        return r.json()->getValue<Poco::Int64>("id");
    };
    w.ownPatient
        = make(R"({"first_name":"Own","last_name":"Patient","birth_date":"1980-01-01","sex":"female",)"
               R"("phone":"+40 700 000 001","force":true})");
    w.otherPatient
        = make(R"({"first_name":"Other","last_name":"Patient","birth_date":"1981-01-01","sex":"male",)"
               R"("phone":"+40 700 000 002","force":true})");
    for (const std::string role : {"doctor", "nurse", "receptionist", "patient"})
        w.as[role] = createAndSignIn(c, w.as["admin"], "records." + role, role,
            role == "patient"      ? "\"patient_id\":" + std::to_string(w.ownPatient)
                : role == "doctor" ? "\"doctor_id\":7"
                                   : "");
}

HttpClient& client()
{
    return *world().client;
}
std::map<std::string, std::string> as(const std::string& role)
{
    return bearer(world().as[role].accessToken);
}

std::string sql(const std::string& statement)
{
    return sqlOutput(*world().daemon, statement);
}

long count(const std::string& table, const std::string& where = "1=1")
{
    return countRows(*world().daemon, table, where);
}

long audited(const std::string& action, std::int64_t patientId, const std::string& role = "")
{
    return count("audit_log",
        "action = '" + action + "' AND patient_id = " + std::to_string(patientId)
            + (role.empty() ? "" : " AND actor_role = '" + role + "'"));
}

std::string path(std::int64_t id, const std::string& rest = "")
{
    return "/api/v1/patients/" + std::to_string(id) + rest;
}

/// A fresh patient with a unique name, created by the admin.
std::int64_t newPatient(const std::string& last, const std::string& extra = "")
{
    auto r = client().post("/api/v1/patients",
        R"({"first_name":"Ana","last_name":")" + last
            + R"(","birth_date":"1990-05-17","sex":"female",)"
              R"("phone":"0721 555 123","email":"ana@example.ro","language":"ro","allergies":["penicillin"])"
            + extra + "}",
        as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return r.json()->getValue<Poco::Int64>("id");
}

Poco::JSON::Object::Ptr invalidFields(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("VALIDATION_FAILED"), r.errorCode());
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

std::string names(const HttpResult& r)
{
    std::string out;
    auto items = r.json()->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i)
        out += items->getObject(static_cast<unsigned>(i))->getValue<std::string>("last_name") + ",";
    return out;
}

const std::string kVitals
    = R"({"taken_at":"2026-01-10T09:30:00+02:00","systolic":120,"diastolic":80,"pulse":70,)"
      R"("temperature_c":36.6,"weight_kg":70.5,"height_cm":172,"spo2":98})";
const std::string kLab
    = R"({"test":"HbA1c","value":6.1,"unit":"%","reference_range":"4.0-5.6","flag":"high",)"
      R"("taken_at":"2026-01-10T08:00:00Z"})";
const std::string kEncounter = R"({"doctor_id":7,"summary":"Sore throat","notes":"three days",)"
                               R"("diagnoses":[{"code":"J06.9","system":"ICD-10","text":"URTI"}]})";

} // namespace

class RecordsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordsTest);
    CPPUNIT_TEST(patientIsCreatedReadAndChangedWithAnAuditRowEach);
    CPPUNIT_TEST(badPatientInputIsRefusedNamingEachFieldAndNothingIsWritten);
    CPPUNIT_TEST(duplicateIsAConflictNamingTheExistingRecordUnlessForced);
    CPPUNIT_TEST(searchFindsByNamePrefixPhoneBirthDateAndNationalIdInPages);
    CPPUNIT_TEST(eachRoleGetsItsDocumentedAnswerOnEveryRecordsRoute);
    CPPUNIT_TEST(encounterCorrectionIsANewVersionThatKeepsTheOldOneReadable);
    CPPUNIT_TEST(impossibleVitalsAndBadClinicalInputAreRefusedAndNothingIsWritten);
    CPPUNIT_TEST(writesToAnUnknownPatientAreNotFoundAndWriteNothing);
    CPPUNIT_TEST(documentTypeComesFromItsContentNotItsName);
    CPPUNIT_TEST(oversizedUploadIs413AndStoresNothing);
    CPPUNIT_TEST(pathTraversalFilenameIsOnlyMetadata);
    CPPUNIT_TEST(letterIsRenderedEscapedAndStoredAsADocument);
    CPPUNIT_TEST(exportHoldsEverythingAboutThePatientAndIsAudited);
    CPPUNIT_TEST(registrationCreatesTheAccountAndTheRecordTogether);
    CPPUNIT_TEST(accessReasonIsRecordedWithTheActor);
    CPPUNIT_TEST(everyRecordsAuditRowNamesItsActorRequestAndPatient);
    CPPUNIT_TEST(aReasonWithInvalidUtf8StillAuditsTheDenialAndRevealsNothing);
    CPPUNIT_TEST(aRoleRefusedByTheRouteIsAuditedAgainstThePatient);
    CPPUNIT_TEST(aSearchIsAuditedOncePerPatientItShows);
    CPPUNIT_TEST(aPatientAccountLinksOnlyToAnExistingRecordThatIsNotTaken);
    CPPUNIT_TEST_SUITE_END();

public:
    void patientIsCreatedReadAndChangedWithAnAuditRowEach()
    {
        const auto id = newPatient("Ionescu");
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.create", id, "admin"));
        auto r = client().get(path(id), as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto p = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("Ionescu"), p->getValue<std::string>("last_name"));
        CPPUNIT_ASSERT_EQUAL(std::string("1990-05-17"), p->getValue<std::string>("birth_date"));
        CPPUNIT_ASSERT_EQUAL(std::string("penicillin"), p->getArray("allergies")->getElement<std::string>(0));
        CPPUNIT_ASSERT(p->isNull("national_id"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.read", id, "receptionist"));

        r = client().request("PATCH", path(id), R"({"phone":"+40 722 000 999","allergies":[]})", as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("+40 722 000 999"), r.json()->getValue<std::string>("phone"));
        CPPUNIT_ASSERT_EQUAL(std::string("Ionescu"), r.json()->getValue<std::string>("last_name"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(0), r.json()->getArray("allergies")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.update", id, "nurse"));

        // A partial change is validated like a whole record.
        r = client().request("PATCH", path(id), R"({"birth_date":"2099-01-01"})", as("admin"));
        CPPUNIT_ASSERT(invalidFields(r)->has("birth_date"));
        CPPUNIT_ASSERT_EQUAL(std::string("1990-05-17"),
            sql("SELECT birth_date FROM records_patients WHERE id = " + std::to_string(id) + ";"));
    }

    void badPatientInputIsRefusedNamingEachFieldAndNothingIsWritten()
    {
        const long before = count("records_patients");
        const long audits = count("audit_log", "action = 'patient.create'");
        auto r = client().post("/api/v1/patients",
            R"({"first_name":12,"last_name":"","birth_date":"2031-01-01","sex":"yes","phone":"call me",)"
            R"("email":"not-an-email","national_id":"1800101123456","language":"fr","allergies":"nuts"})",
            as("receptionist"));
        auto fields = invalidFields(r);
        for (const std::string f : {"first_name", "last_name", "birth_date", "sex", "phone", "email",
                 "national_id", "language", "allergies"})
            CPPUNIT_ASSERT_MESSAGE(f + ": " + r.body, fields->has(f));
        for (const std::string date : {"1990-02-30", "1899-12-31", "1990-13-01", "17.05.1990", "1990-5-7"}) {
            r = client().post("/api/v1/patients",
                R"({"first_name":"A","last_name":"B","birth_date":")" + date
                    + R"(","sex":"male","phone":"0721000000"})",
                as("admin"));
            CPPUNIT_ASSERT_MESSAGE(date, invalidFields(r)->has("birth_date"));
        }
        r = client().post("/api/v1/patients", "{not json", as("admin"));
        CPPUNIT_ASSERT_EQUAL(400, r.status);
        r = client().post("/api/v1/patients", "[1,2]", as("admin"));
        CPPUNIT_ASSERT_EQUAL(422, r.status);
        CPPUNIT_ASSERT_EQUAL(before, count("records_patients"));
        CPPUNIT_ASSERT_EQUAL(audits, count("audit_log", "action = 'patient.create'"));
        // A CNP with a good check digit is accepted.
        newPatient("Cnp", R"(,"national_id":"1800101221144")");
    }

    void duplicateIsAConflictNamingTheExistingRecordUnlessForced()
    {
        const auto id = newPatient("Dumitrescu", R"(,"national_id":"2900517123455")");
        // Same national id, different name.
        auto r = client().post("/api/v1/patients",
            R"({"first_name":"X","last_name":"Y","birth_date":"1970-01-01","sex":"male","phone":"0721000000",)"
            R"("national_id":"2900517123455"})",
            as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("CONFLICT"), r.errorCode());
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(id),
            r.json()->getObject("error")->getObject("details")->getValue<Poco::Int64>("existing_id"));
        // Same name (other case and diacritics) and birth date.
        const std::string twin = R"({"first_name":"ANA","last_name":"Dumitrescu","birth_date":"1990-05-17",)"
                                 R"("sex":"female","phone":"0722000000")";
        r = client().post("/api/v1/patients", twin + "}", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(id),
            r.json()->getObject("error")->getObject("details")->getValue<Poco::Int64>("existing_id"));
        CPPUNIT_ASSERT_EQUAL(1L, count("records_patients", "last_name = 'Dumitrescu'"));
        // A change that makes another record the same person is a conflict too.
        const auto other = newPatient("Dumitrescu-Other");
        r = client().request("PATCH", path(other), R"({"national_id":"2900517123455"})", as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(id),
            r.json()->getObject("error")->getObject("details")->getValue<Poco::Int64>("existing_id"));
        CPPUNIT_ASSERT_EQUAL(
            0L, count("records_patients", "national_id = '2900517123455' AND id <> " + std::to_string(id)));
        r = client().request("PATCH", path(other), R"({"phone":"0721999888"})", as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        r = client().post("/api/v1/patients", twin + R"(,"force":true})", as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT(r.json()->getValue<Poco::Int64>("id") != id);
        CPPUNIT_ASSERT_EQUAL(2L, count("records_patients", "last_name = 'Dumitrescu'"));
    }

    void searchFindsByNamePrefixPhoneBirthDateAndNationalIdInPages()
    {
        auto add = [](const std::string& first, const std::string& last, const std::string& birth,
                       const std::string& phone, const std::string& nid) {
            auto r = client().post("/api/v1/patients",
                R"({"first_name":")" + first + R"(","last_name":")" + last + R"(","birth_date":")" + birth
                    + R"(","sex":"other","phone":")" + phone + R"(")"
                    + (nid.empty() ? "" : R"(,"national_id":")" + nid + "\"") + "}",
                as("receptionist"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        };
        add("Ștefan", "Țăranu", "1955-03-03", "+40 744 123 456", "");
        add("Stefania", "Zamfir", "1956-04-04", "0745 000 111", "");
        add("Maria", "Zamfirescu", "1957-05-05", "0746 000 222", "AB123456");
        auto search = [](const std::string& q, const std::string& more = "") {
            auto r = client().get("/api/v1/patients?q=" + q + more, as("receptionist"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
            return r;
        };
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu,"), names(search("taran")));
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu,"), names(search("%C8%9A%C4%83r"))); // "Țăr"
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu,Zamfir,"), names(search("STEF")));
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfir,Zamfirescu,"), names(search("zamf")));
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfirescu,"), names(search("maria%20zam")));
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfirescu,"), names(search("zam%20mar")));
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu,"), names(search("1955-03-03")));
        CPPUNIT_ASSERT_EQUAL(std::string("Țăranu,"), names(search("%2B40744123")));
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfir,"), names(search("0745%20000")));
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfirescu,"), names(search("AB123456")));
        CPPUNIT_ASSERT_EQUAL(std::string(""), names(search("nobody")));
        // Pages: limit 1 gives a cursor, the cursor the next one.
        auto first = search("zamf", "&limit=1");
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfir,"), names(first));
        const std::string cursor = first.json()->getValue<std::string>("next_cursor");
        auto second = search("zamf", "&limit=1&cursor=" + cursor);
        CPPUNIT_ASSERT_EQUAL(std::string("Zamfirescu,"), names(second));
        CPPUNIT_ASSERT(second.json()->isNull("next_cursor"));
        CPPUNIT_ASSERT_EQUAL(422, client().get("/api/v1/patients?limit=501", as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(422, client().get("/api/v1/patients?cursor=abc", as("admin")).status);
        CPPUNIT_ASSERT(count("audit_log", "action = 'patient.search' AND actor_role = 'receptionist'") >= 13);
    }

    void eachRoleGetsItsDocumentedAnswerOnEveryRecordsRoute()
    {
        World& w = world();
        const auto own = w.ownPatient, other = w.otherPatient;
        auto& c = client();
        // A document and an encounter to read.
        auto up = c.request("POST", path(own, "/documents?filename=scan.png&kind=scan"), kPng, as("nurse"),
            "application/octet-stream");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(up.body, 201, up.status);
        const std::string doc = std::to_string(up.json()->getValue<Poco::Int64>("id"));
        up = c.request("POST", path(other, "/documents?filename=scan.png&kind=scan"), kPng, as("nurse"),
            "application/octet-stream");
        const std::string otherDoc = std::to_string(up.json()->getValue<Poco::Int64>("id"));

        struct Case {
            std::string method, route, body;
            std::map<std::string, int> expected; ///< by role, for the own patient
            bool clinical;
        };
        const std::map<std::string, int> readAll
            = {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 403}, {"patient", 200}};
        const std::vector<Case> cases = {
            {"GET", "", "",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 200}, {"patient", 200}},
                false},
            {"PATCH", "", R"({"phone":"0700000001"})",
                {{"admin", 200}, {"doctor", 200}, {"nurse", 200}, {"receptionist", 200}, {"patient", 403}},
                false},
            {"GET", "/encounters", "", readAll, true},
            {"POST", "/encounters", kEncounter,
                {{"admin", 201}, {"doctor", 201}, {"nurse", 403}, {"receptionist", 403}, {"patient", 403}},
                true},
            {"GET", "/vitals", "", readAll, true},
            {"POST", "/vitals", kVitals,
                {{"admin", 201}, {"doctor", 201}, {"nurse", 201}, {"receptionist", 403}, {"patient", 403}},
                true},
            {"GET", "/lab-results", "", readAll, true},
            {"POST", "/lab-results", kLab,
                {{"admin", 201}, {"doctor", 201}, {"nurse", 201}, {"receptionist", 403}, {"patient", 403}},
                true},
            {"GET", "/documents", "", readAll, true},
            {"GET", "/documents/{doc}", "", readAll, true},
            {"GET", "/documents/{doc}/content", "", readAll, true},
            {"POST", "/documents/letters",
                R"({"template":"recommendation","fields":{"recommendations":"rest"}})",
                {{"admin", 201}, {"doctor", 201}, {"nurse", 403}, {"receptionist", 403}, {"patient", 403}},
                true},
            {"GET", "/export", "", readAll, true},
        };
        std::vector<std::string> failures;
        auto check = [&](const std::string& what, int expected, int got) {
            if (expected != got)
                failures.push_back(
                    what + ": expected " + std::to_string(expected) + ", got " + std::to_string(got));
        };
        for (const auto& k : cases) {
            for (const auto& [role, expected] : k.expected) {
                std::string route = k.route;
                auto at = route.find("{doc}");
                if (at != std::string::npos)
                    route.replace(at, 5, doc);
                auto r = c.request(k.method, path(own, route), k.body, as(role));
                check(k.method + " own" + k.route + " as " + role, expected, r.status);
                // Another patient's record does not exist for a patient.
                if (role == "patient") {
                    std::string otherRoute = k.route;
                    if (at != std::string::npos)
                        otherRoute.replace(at, 5, otherDoc);
                    auto o = c.request(k.method, path(other, otherRoute), k.body, as(role));
                    check(
                        k.method + " other" + k.route + " as patient", expected == 403 ? 403 : 404, o.status);
                }
                auto anonymous = c.request(k.method, path(own, route), k.body);
                check(k.method + k.route + " without a token", 401, anonymous.status);
            }
        }
        // Lists and creation of patients are for staff.
        check("GET /patients as patient", 403, c.get("/api/v1/patients", as("patient")).status);
        check("POST /patients as patient", 403, c.post("/api/v1/patients", "{}", as("patient")).status);
        check("GET /patients as doctor", 200, c.get("/api/v1/patients", as("doctor")).status);
        std::string report;
        for (const auto& f : failures)
            report += "\n  " + f;
        CPPUNIT_ASSERT_MESSAGE("records access:" + report, failures.empty());
        // The refusals themselves are in the audit.
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'vitals.list' AND outcome = 'denied' AND actor_role = 'receptionist' AND "
                "patient_id = "
                    + std::to_string(own)));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'vitals.list' AND outcome = 'denied' AND actor_role = 'patient' AND "
                "patient_id = "
                    + std::to_string(other)));
        CPPUNIT_ASSERT(audited("document.download", own, "patient") >= 1);
        CPPUNIT_ASSERT(audited("vitals.create", own, "nurse") >= 1);
    }

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

    void documentTypeComesFromItsContentNotItsName()
    {
        const auto id = newPatient("Documents");
        auto r = client().request("POST", path(id, "/documents?filename=report.pdf&kind=report"), kPng,
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        auto meta = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), meta->getValue<std::string>("content_type"));
        CPPUNIT_ASSERT_EQUAL(std::string("report.pdf"), meta->getValue<std::string>("filename"));
        Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
        sha.update(kPng);
        const std::string hash = Poco::DigestEngine::digestToHex(sha.digest());
        CPPUNIT_ASSERT_EQUAL(hash, meta->getValue<std::string>("sha256"));
        CPPUNIT_ASSERT(Poco::File(world().daemon->dataDir() + "/documents/" + hash).exists());
        const std::string doc = std::to_string(meta->getValue<Poco::Int64>("id"));

        r = client().get(path(id, "/documents/" + doc + "/content"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT(r.body == kPng);
        CPPUNIT_ASSERT_EQUAL(std::string("image/png"), r.header("content-type"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("attachment; filename=\"report.pdf\""), r.header("content-disposition"));
        r = client().get(path(id, "/documents/" + doc), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        r = client().get(path(id, "/documents"), as("nurse"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.create", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.download", id, "doctor"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.read", id, "nurse"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.list", id, "nurse"));
        // Another patient's document id is not found under this patient.
        CPPUNIT_ASSERT_EQUAL(
            404, client().get(path(world().otherPatient, "/documents/" + doc), as("admin")).status);

        // An executable renamed .png, and a JPEG/PDF header is what counts.
        r = client().request(
            "POST", path(id, "/documents?filename=photo.png"), kElf, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 415, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("UNSUPPORTED_MEDIA_TYPE"), r.errorCode());
        r = client().request(
            "POST", path(id, "/documents?filename=empty.pdf"), "", as("doctor"), "application/pdf");
        CPPUNIT_ASSERT(invalidFields(r)->has("body"));
        r = client().request("POST", path(id, "/documents?filename=x.pdf&kind=../../x"), "%PDF-1.7\n",
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT(invalidFields(r)->has("kind"));
        CPPUNIT_ASSERT_EQUAL(1L, count("records_documents", "patient_id = " + std::to_string(id)));
        r = client().request("POST", path(id, "/documents?filename=scan"),
            std::string("\xFF\xD8\xFF\xE0jpeg"), as("doctor"), "text/plain");
        CPPUNIT_ASSERT_EQUAL(std::string("image/jpeg"), r.json()->getValue<std::string>("content_type"));
        r = client().request(
            "POST", path(id, "/documents?filename=a.jpg"), "%PDF-1.7\n%%EOF\n", as("doctor"), "image/jpeg");
        CPPUNIT_ASSERT_EQUAL(std::string("application/pdf"), r.json()->getValue<std::string>("content_type"));
    }

    void oversizedUploadIs413AndStoresNothing()
    {
        const auto id = newPatient("Oversized");
        std::string big = kPng + std::string(kMaxDocument, 'x');
        auto files = [] {
            std::vector<std::string> names;
            Poco::File(world().daemon->dataDir() + "/documents").list(names);
            return names.size();
        };
        const auto filesBefore = files();
        // Far more than the socket buffers hold: the daemon reads and drops
        // the refused body before answering, so the client gets the 413 on
        // its first try rather than a connection reset.
        const std::string huge = kPng + std::string(12 * 1024 * 1024, 'x');
        HttpClient fresh("127.0.0.1", world().daemon->port());
        HttpResult r
            = fresh.request("POST", path(id, "/documents?filename=big.png"), huge, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 413, r.status);
        r = HttpClient("127.0.0.1", world().daemon->port())
                .request("POST", path(id, "/documents?filename=big.png"), big, as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body.substr(0, 200), 413, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("PAYLOAD_TOO_LARGE"), r.errorCode());
        CPPUNIT_ASSERT_EQUAL(0L, count("records_documents", "patient_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(filesBefore, files());
        CPPUNIT_ASSERT_EQUAL(0L, audited("document.create", id));
        // Just under the limit is fine.
        r = client().request("POST", path(id, "/documents?filename=ok.png"), big.substr(0, kMaxDocument),
            as("doctor"), "image/png");
        CPPUNIT_ASSERT_EQUAL(201, r.status);
    }

    void pathTraversalFilenameIsOnlyMetadata()
    {
        const auto id = newPatient("Traversal");
        const std::string pdf = "%PDF-1.4\n% traversal test\n";
        auto r = client().request("POST", path(id, "/documents?filename=..%2F..%2Fetc%2Fpasswd&kind=report"),
            pdf, as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("passwd"), r.json()->getValue<std::string>("filename"));
        const std::string hash = r.json()->getValue<std::string>("sha256");
        CPPUNIT_ASSERT(Poco::File(world().daemon->dataDir() + "/documents/" + hash).exists());
        CPPUNIT_ASSERT(!Poco::File(world().daemon->dataDir() + "/etc/passwd").exists());
        CPPUNIT_ASSERT(!Poco::File(world().daemon->dataDir() + "/documents/passwd").exists());
        r = client().request("POST", path(id, "/documents?filename=%22%3B%0D%0AX-Evil%3A%201.pdf"), pdf,
            as("doctor"), "application/pdf");
        CPPUNIT_ASSERT_EQUAL(201, r.status);
        const std::string name = r.json()->getValue<std::string>("filename");
        CPPUNIT_ASSERT_MESSAGE(name, name.find_first_of("\";\r\n: ") == std::string::npos);
        auto content = client().get(
            path(id, "/documents/" + std::to_string(r.json()->getValue<Poco::Int64>("id")) + "/content"),
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL(pdf, content.body);
        CPPUNIT_ASSERT(content.header("x-evil").empty());
    }

    void letterIsRenderedEscapedAndStoredAsADocument()
    {
        const auto id = newPatient("Letter");
        auto r = client().post(path(id, "/documents/letters"),
            R"({"template":"referral","language":"en","fields":{"to":"Cardiology <b>dept</b>",)"
            R"("reason":"<script>alert(1)</script> chest pain"}})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT(r.header("content-type").find("text/html") == 0);
        CPPUNIT_ASSERT(r.body.find("Referral") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("Ana Letter") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt; chest pain") != std::string::npos);
        CPPUNIT_ASSERT(r.body.find("<script>") == std::string::npos);
        CPPUNIT_ASSERT(r.body.find("Cardiology &lt;b&gt;dept&lt;/b&gt;") != std::string::npos);
        const std::string doc = r.header("x-document-id");
        auto meta = client().get(path(id, "/documents/" + doc), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(200, meta.status);
        CPPUNIT_ASSERT_EQUAL(std::string("letter"), meta.json()->getValue<std::string>("kind"));
        auto content = client().get(path(id, "/documents/" + doc + "/content"), as("doctor"));
        CPPUNIT_ASSERT_EQUAL(r.body, content.body);
        CPPUNIT_ASSERT_EQUAL(1L, audited("document.letter", id, "doctor"));
        // The patient's language by default: Romanian.
        r = client().post(path(id, "/documents/letters"),
            R"({"template":"medical_certificate","fields":{"finding":"gripă","period":"3 zile","purpose":"școală"}})",
            as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        CPPUNIT_ASSERT(r.body.find("Adeverință medicală") != std::string::npos);
        // Missing fields, unknown templates: nothing stored.
        const long docs = count("records_documents", "patient_id = " + std::to_string(id));
        r = client().post(
            path(id, "/documents/letters"), R"({"template":"referral","fields":{"to":"x"}})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("fields.reason"));
        r = client().post(
            path(id, "/documents/letters"), R"({"template":"../../etc/passwd","fields":{}})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("template"));
        r = client().post(path(id, "/documents/letters"),
            R"({"template":"referral","language":"de","fields":[]})", as("doctor"));
        CPPUNIT_ASSERT(invalidFields(r)->has("language"));
        CPPUNIT_ASSERT_EQUAL(docs, count("records_documents", "patient_id = " + std::to_string(id)));
    }

    void exportHoldsEverythingAboutThePatientAndIsAudited()
    {
        const auto id = newPatient("Export");
        CPPUNIT_ASSERT_EQUAL(201, client().post(path(id, "/vitals"), kVitals, as("nurse")).status);
        CPPUNIT_ASSERT_EQUAL(201, client().post(path(id, "/lab-results"), kLab, as("nurse")).status);
        auto e = client().post(path(id, "/encounters"), kEncounter, as("doctor"));
        CPPUNIT_ASSERT_EQUAL(201, e.status);
        CPPUNIT_ASSERT_EQUAL(201,
            client()
                .post(path(id, "/encounters"),
                    R"({"supersedes":)" + std::to_string(e.json()->getValue<Poco::Int64>("id"))
                        + R"(,"summary":"fixed"})",
                    as("doctor"))
                .status);
        CPPUNIT_ASSERT_EQUAL(201,
            client()
                .request("POST", path(id, "/documents?filename=x.png"), kPng, as("nurse"), "image/png")
                .status);
        auto r = client().get(path(id, "/export"), as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto x = r.json();
        CPPUNIT_ASSERT_EQUAL(
            std::string("Export"), x->getObject("patient")->getValue<std::string>("last_name"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("vitals")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("lab_results")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("encounters")->size());
        CPPUNIT_ASSERT_EQUAL(
            std::size_t(1), x->getArray("encounters")->getObject(0)->getArray("history")->size());
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), x->getArray("documents")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.export", id, "admin"));
        // The patient's own export.
        r = client().get(path(world().ownPatient, "/export"), as("patient"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT(audited("patient.export", world().ownPatient, "patient") >= 1);
    }

    void registrationCreatesTheAccountAndTheRecordTogether()
    {
        const long patients = count("records_patients"), users = count("users");
        auto r = client().post("/api/v1/auth/register",
            R"({"username":"self.registered","password":")" + kPassword
                + R"(","first_name":"Self","last_name":"Registered","birth_date":"2031-02-30","sex":"male",)"
                  R"("phone":"0700"})");
        auto fields = invalidFields(r);
        CPPUNIT_ASSERT(fields->has("birth_date") && fields->has("phone"));
        CPPUNIT_ASSERT_EQUAL(patients, count("records_patients"));
        CPPUNIT_ASSERT_EQUAL(users, count("users"));

        r = client().post("/api/v1/auth/register",
            R"({"username":"self.registered","password":")" + kPassword
                + R"(","first_name":"Self","last_name":"Registered","birth_date":"2001-02-28","sex":"male",)"
                  R"("phone":"0700 123 456","email":"self@example.ro","language":"en"})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const std::string token = r.json()->getValue<std::string>("access_token");
        auto me = client().get("/api/v1/auth/me", bearer(token));
        const auto id = me.json()->getValue<Poco::Int64>("patient_id");
        CPPUNIT_ASSERT(id > 0);
        auto own = client().get(path(id), bearer(token));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 200, own.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Registered"), own.json()->getValue<std::string>("last_name"));
        CPPUNIT_ASSERT_EQUAL(404, client().get(path(world().otherPatient), bearer(token)).status);
        CPPUNIT_ASSERT_EQUAL(patients + 1, count("records_patients"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("user.register", id));
        // A second registration of the same person is a conflict that names no record.
        r = client().post("/api/v1/auth/register",
            R"({"username":"self.again","password":")" + kPassword
                + R"(","first_name":"SELF","last_name":"registered","birth_date":"2001-02-28","sex":"male",)"
                  R"("phone":"0700 123 456","force":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 409, r.status);
        CPPUNIT_ASSERT(r.body.find("existing_id") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(patients + 1, count("records_patients"));
        CPPUNIT_ASSERT_EQUAL(users + 1, count("users"));
    }

    void accessReasonIsRecordedWithTheActor()
    {
        const auto id = newPatient("Reason");
        auto headers = as("doctor");
        headers["X-Access-Reason"] = "emergency consult";
        CPPUNIT_ASSERT_EQUAL(200, client().get(path(id, "/vitals"), headers).status);
        CPPUNIT_ASSERT_EQUAL(
            200, client().get(path(id, "/lab-results?reason=second%20opinion"), as("doctor")).status);
        const std::string who = std::to_string(world().as["doctor"].id);
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'vitals.list' AND reason = 'emergency consult' AND actor_id = " + who
                    + " AND patient_id = " + std::to_string(id)));
        CPPUNIT_ASSERT_EQUAL(1L,
            count("audit_log",
                "action = 'lab_result.list' AND reason = 'second opinion' AND actor_id = " + who
                    + " AND patient_id = " + std::to_string(id)));
    }

    void everyRecordsAuditRowNamesItsActorRequestAndPatient()
    {
        const std::string records
            = "(action LIKE 'patient.%' OR action LIKE 'encounter.%' OR action LIKE 'vitals.%'"
              " OR action LIKE 'lab_result.%' OR action LIKE 'document.%')";
        const auto id = newPatient("Audited");
        CPPUNIT_ASSERT_EQUAL(200, client().get(path(id, "/export"), as("doctor")).status);
        CPPUNIT_ASSERT(count("audit_log", records) >= 2);
        CPPUNIT_ASSERT_EQUAL(0L,
            count("audit_log", records + " AND (actor_id IS NULL OR actor_role = '' OR request_id = '')"));
        // Lists and searches name no patient; every other touch names whose data it was.
        CPPUNIT_ASSERT_EQUAL(0L,
            count("audit_log",
                records
                    + " AND patient_id IS NULL AND action NOT IN ('patient.list', "
                      "'patient.search')"));
    }

    /// A client-sent reason is written into the audit row; a bad byte in it
    /// must not fail that write (MariaDB refuses invalid UTF-8), which would
    /// turn the 404 into a 500 that tells a prober the patient exists.
    void aReasonWithInvalidUtf8StillAuditsTheDenialAndRevealsNothing()
    {
        World& w = world();
        const long before = count("audit_log",
            "patient_id = " + std::to_string(w.otherPatient)
                + " AND outcome = 'denied' AND actor_role = 'patient'");
        auto existing = client().get(path(w.otherPatient, "/vitals?reason=%FF%C3"), as("patient"));
        auto missing = client().get(path(99999999, "/vitals?reason=%FF%C3"), as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(existing.body, 404, existing.status);
        CPPUNIT_ASSERT_EQUAL(404, missing.status);
        CPPUNIT_ASSERT_EQUAL(existing.errorCode(), missing.errorCode());
        CPPUNIT_ASSERT_EQUAL(before + 1,
            count("audit_log",
                "patient_id = " + std::to_string(w.otherPatient)
                    + " AND outcome = 'denied' AND actor_role = 'patient'"));
        // A long Romanian reason is cut on a character boundary, not refused.
        std::string reason;
        for (int i = 0; i < 200; ++i)
            reason += "%C8%99"; // ș
        auto r = client().get(path(w.ownPatient, "/vitals?reason=" + reason), as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    }

    void aRoleRefusedByTheRouteIsAuditedAgainstThePatient()
    {
        const auto id = newPatient("RoleRefused");
        auto r = client().post(path(id, "/vitals"), R"({"pulse":70})", as("receptionist"));
        CPPUNIT_ASSERT_EQUAL(403, r.status);
        CPPUNIT_ASSERT_EQUAL(1L, audited("access.denied", id, "receptionist"));
        CPPUNIT_ASSERT_EQUAL(0L, count("records_vitals", "patient_id = " + std::to_string(id)));
    }

    void aSearchIsAuditedOncePerPatientItShows()
    {
        const auto a = newPatient("Searchaudit");
        const auto b = newPatient("Searchauditson");
        auto r = client().get("/api/v1/patients?q=searchaudit", as("receptionist"));
        CPPUNIT_ASSERT_EQUAL(200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), r.json()->getArray("items")->size());
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.search", a, "receptionist"));
        CPPUNIT_ASSERT_EQUAL(1L, audited("patient.search", b, "receptionist"));
    }

    /// Linking an account to an id not yet issued would hand it whichever
    /// patient is created next with that id; two accounts on one record would
    /// both read it as their own.
    void aPatientAccountLinksOnlyToAnExistingRecordThatIsNotTaken()
    {
        const auto id = newPatient("Linked");
        auto account = [&](const std::string& name, std::int64_t patient) {
            return client().post("/api/v1/users",
                R"({"username":")" + name
                    + R"(","role":"patient","password":"a-long-password-9","patient_id":)"
                    + std::to_string(patient) + "}",
                as("admin"));
        };
        auto missing = account("link.missing", 99999999);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.body, 422, missing.status);
        CPPUNIT_ASSERT(
            missing.json()->getObject("error")->getObject("details")->getObject("fields")->has("patient_id"));
        auto first = account("link.first", id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(first.body, 201, first.status);
        auto second = account("link.second", id);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(second.body, 409, second.status);
        CPPUNIT_ASSERT_EQUAL(0L, count("users", "username IN ('link.missing', 'link.second')"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RecordsTest);
