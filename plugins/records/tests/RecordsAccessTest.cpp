// Access and audit: every role's answer on every route, and what each audit row names.

#include "RecordsFixture.h"

class RecordsAccessTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordsAccessTest);
    CPPUNIT_TEST(eachRoleGetsItsDocumentedAnswerOnEveryRecordsRoute);
    CPPUNIT_TEST(accessReasonIsRecordedWithTheActor);
    CPPUNIT_TEST(everyRecordsAuditRowNamesItsActorRequestAndPatient);
    CPPUNIT_TEST(aReasonWithInvalidUtf8StillAuditsTheDenialAndRevealsNothing);
    CPPUNIT_TEST(aRoleRefusedByTheRouteIsAuditedAgainstThePatient);
    CPPUNIT_TEST(aSearchIsAuditedOncePerPatientItShows);
    CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(RecordsAccessTest);
