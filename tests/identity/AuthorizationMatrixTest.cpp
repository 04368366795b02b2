// The authorization matrix: every route the daemon reports in
// GET /api/v1/system/routes, called by each role, without a token, with an
// expired token and with tampered tokens, gets the documented answer.
//
// The daemon loads every plugin the build made (CLINICD_PLUGINS, from
// clinic_add_plugin), so a new plugin's routes are listed and called without
// an edit here. The expected access of each route lives in kExpected below. A
// route the table does not know fails the test ("undeclared route"): a new
// route joins the matrix by adding its line here, next to the documentation
// of who may call it. A route the matrix cannot call goes in kNotExercised
// with the reason; nothing is skipped silently.

#include <sys/stat.h>

#include <iostream>

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

const std::string kSecret = "matrix-signing-key-0123456789abcdef0123456789";

/// "public", "authenticated", or a comma list of roles (sorted).
const std::map<std::string, std::string> kExpected = {
    // kernel
    {"GET /health/live", "public"},
    {"GET /health/ready", "public"},
    {"GET /api/v1/time", "public"},
    {"GET /api/v1/openapi.json", "public"},
    {"GET /api/v1/system/plugins", "admin"},
    {"GET /api/v1/system/routes", "admin"},
    {"POST /api/v1/auth/login", "public"},
    {"POST /api/v1/auth/refresh", "public"},
    {"POST /api/v1/auth/register", "public"},
    {"POST /api/v1/auth/logout", "authenticated"},
    {"GET /api/v1/auth/me", "authenticated"},
    {"GET /api/v1/users", "admin"},
    {"POST /api/v1/users", "admin"},
    {"GET /api/v1/users/{id}", "admin"},
    {"PATCH /api/v1/users/{id}", "admin"},
    {"GET /api/v1/audit", "admin"},
    {"POST /api/v1/system/rules/reload", "admin"},
    {"GET /api/v1/system/rules", "admin"},
    {"GET /api/v1/events/stream", "admin,doctor,nurse,patient,receptionist"},
    // console plugin: the page and its files hold no clinic data; the API
    // calls it makes carry the user's token
    {"GET /console", "public"},
    {"GET /console/{file}", "public"},
    {"GET /console/{dir}/{file}", "public"},
    {"GET /console/{dir}/{subdir}/{file}", "public"},
    // metrics plugin
    {"GET /metrics", "public"},
    // example plugin
    {"POST /api/v1/example/notes", "public"},
    {"GET /api/v1/example/notes", "admin,doctor,nurse,receptionist"},
    {"GET /api/v1/example/notes/{id}", "public"},
    // records plugin: route roles; within them the access policy decides per
    // patient (a receptionist's 403 on clinical data, a patient's 404 on
    // another patient: plugins/records/tests)
    {"GET /api/v1/patients", "admin,doctor,nurse,receptionist"},
    {"POST /api/v1/patients", "admin,doctor,nurse,receptionist"},
    {"GET /api/v1/patients/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"PATCH /api/v1/patients/{id}", "admin,doctor,nurse,receptionist"},
    {"GET /api/v1/patients/{id}/encounters", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/patients/{id}/encounters", "admin,doctor"},
    {"GET /api/v1/patients/{id}/vitals", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/patients/{id}/vitals", "admin,doctor,nurse"},
    {"GET /api/v1/patients/{id}/lab-results", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/patients/{id}/lab-results", "admin,doctor,nurse"},
    {"GET /api/v1/patients/{id}/documents", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/patients/{id}/documents", "admin,doctor,nurse"},
    {"GET /api/v1/patients/{id}/documents/{doc_id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /api/v1/patients/{id}/documents/{doc_id}/content", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/patients/{id}/documents/letters", "admin,doctor"},
    {"GET /api/v1/patients/{id}/export", "admin,doctor,nurse,patient,receptionist"},
    // scheduling plugin: everyone signed in browses the directory and free
    // slots; administrators keep it; reception also records time off
    {"GET /api/v1/locations", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/locations", "admin"},
    {"GET /api/v1/locations/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"PATCH /api/v1/locations/{id}", "admin"},
    {"GET /api/v1/services", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/services", "admin"},
    {"GET /api/v1/services/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"PATCH /api/v1/services/{id}", "admin"},
    {"GET /api/v1/doctors", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/doctors", "admin"},
    {"GET /api/v1/doctors/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"PATCH /api/v1/doctors/{id}", "admin"},
    {"PUT /api/v1/doctors/{id}/hours", "admin"},
    {"GET /api/v1/doctors/{id}/time-off", "admin,doctor,nurse,receptionist"},
    {"POST /api/v1/doctors/{id}/time-off", "admin,receptionist"},
    {"DELETE /api/v1/doctors/{id}/time-off/{tid}", "admin,receptionist"},
    {"GET /api/v1/availability", "admin,doctor,nurse,patient,receptionist"},
    // appointments: everyone signed in books and manages appointments; the
    // access policy then decides per patient (a patient reaches only their
    // own: plugins/scheduling/tests). Completing and no-shows are for staff.
    {"POST /api/v1/appointments", "admin,doctor,nurse,patient,receptionist"},
    {"GET /api/v1/appointments", "admin,doctor,nurse,patient,receptionist"},
    {"GET /api/v1/appointments/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /api/v1/appointments/{id}.ics", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/appointments/{id}/confirm", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/appointments/{id}/check-in", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/appointments/{id}/complete", "admin,doctor,nurse"},
    {"POST /api/v1/appointments/{id}/no-show", "admin,doctor,nurse,receptionist"},
    {"POST /api/v1/appointments/{id}/cancel", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/appointments/{id}/reschedule", "admin,doctor,nurse,patient,receptionist"},
    {"GET /api/v1/doctors/{id}/calendar.ics", "admin,doctor,nurse,receptionist"},
    {"GET /api/v1/waitlist", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/waitlist", "admin,doctor,nurse,patient,receptionist"},
    {"DELETE /api/v1/waitlist/{id}", "admin,doctor,nurse,patient,receptionist"},
    // reports: aggregates for the front desk and administrators
    {"GET /api/v1/stats/dashboard", "admin,receptionist"},
    {"GET /api/v1/reports/monthly", "admin,receptionist"},
    // prescriptions plugin: doctors prescribe and decide renewals, nurses and
    // administrators read, patients read their own and ask for renewals;
    // reception has no access (per patient: plugins/prescriptions/tests)
    {"GET /api/v1/drugs", "admin,doctor,nurse"},
    {"POST /api/v1/prescriptions", "doctor"},
    {"GET /api/v1/prescriptions", "admin,doctor,nurse,patient"},
    {"GET /api/v1/prescriptions/{id}", "admin,doctor,nurse,patient"},
    {"POST /api/v1/prescriptions/{id}/cancel", "doctor"},
    {"GET /api/v1/prescriptions/{id}/print", "admin,doctor,nurse,patient"},
    {"POST /api/v1/prescriptions/{id}/renewal-requests", "patient"},
    {"POST /api/v1/renewal-requests/{rid}/approve", "doctor"},
    {"POST /api/v1/renewal-requests/{rid}/decline", "doctor"},
    // notifications plugin: everyone signed in has an inbox and preferences
    // (their own: plugins/notifications/tests); the outbox is the admin's;
    // the SMS gateway's webhook is open and checks its HMAC signature itself
    {"GET /api/v1/notifications", "authenticated"},
    {"POST /api/v1/notifications/{id}/read", "authenticated"},
    {"POST /api/v1/notifications/read-all", "authenticated"},
    {"GET /api/v1/notification-preferences", "authenticated"},
    {"PUT /api/v1/notification-preferences", "authenticated"},
    {"POST /api/v1/notifications/sms/webhook", "public"},
    {"GET /api/v1/notifications/sms/replies", "admin,receptionist"},
    {"GET /api/v1/outbox", "admin"},
    {"GET /api/v1/outbox/{id}", "admin"},
    {"POST /api/v1/outbox/{id}/retry", "admin"},
    // fhir plugin: the CapabilityStatement is public, as FHIR clients read
    // it before they sign in; within the roles, a patient reaches only their
    // own Patient, Appointments and MedicationRequests (plugins/fhir/tests)
    {"GET /fhir/r4/metadata", "public"},
    {"GET /fhir/r4/Practitioner", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Practitioner/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Location", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Location/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/HealthcareService", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/HealthcareService/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Schedule", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Schedule/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Slot", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Slot/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Patient", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Patient/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Appointment", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/Appointment/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"POST /fhir/r4/Appointment", "admin,doctor,nurse,patient,receptionist"},
    {"GET /fhir/r4/MedicationRequest", "admin,doctor,nurse,patient"},
    {"GET /fhir/r4/MedicationRequest/{id}", "admin,doctor,nurse,patient"},
    // scheduling: departments (everyone reads, admin writes) and a doctor's
    // statistics (admin any, a doctor their own: plugins/scheduling/tests)
    {"GET /api/v1/departments", "admin,doctor,nurse,patient,receptionist"},
    {"POST /api/v1/departments", "admin"},
    {"GET /api/v1/departments/{id}", "admin,doctor,nurse,patient,receptionist"},
    {"PATCH /api/v1/departments/{id}", "admin"},
    {"DELETE /api/v1/departments/{id}", "admin"},
    {"GET /api/v1/doctors/{id}/stats", "admin,doctor"},
    // reviews plugin: a patient reviews their own completed visit (404 for
    // another's, plugins/reviews/tests); the admin moderates; the doctor's
    // page is scheduling's route, filled through reviews.ratings.v1
    {"POST /api/v1/reviews", "patient"},
    {"GET /api/v1/reviews", "admin,patient"},
    {"POST /api/v1/reviews/{id}/approve", "admin"},
    {"POST /api/v1/reviews/{id}/reject", "admin"},
    {"GET /api/v1/doctors/{id}/reviews", "admin,doctor,nurse,patient,receptionist"},
    // staffaccess plugin: staff ask for their own role elsewhere and list
    // their own (the admin all); only the admin decides
    {"GET /api/v1/access-requests", "admin,doctor,nurse,receptionist"},
    {"POST /api/v1/access-requests", "doctor,nurse,receptionist"},
    {"POST /api/v1/access-requests/{id}/approve", "admin"},
    {"POST /api/v1/access-requests/{id}/reject", "admin"},
};

/// Routes listed but not called by the matrix, each with the reason. Every
/// entry must still be listed by the daemon (a stale entry fails the test).
const std::map<std::string, std::string> kNotExercised = {
    {"GET /api/v1/events/stream",
        "an allowed call never ends (a live stream); tests/stream checks its 401 and who sees what"},
    {"POST /api/v1/notifications/sms/webhook",
        "public, but every call without the gateway's HMAC signature is 401 by design"
        " (plugins/notifications/tests: NotificationsSmsTest)"},
};

const std::vector<std::string> kRoles = {"admin", "doctor", "nurse", "receptionist", "patient"};

/// The plugins the build made, from CMake: "example,metrics,...".
std::vector<std::string> builtPlugins()
{
    std::vector<std::string> out;
    std::string names = CLINICD_PLUGINS;
    std::size_t start = 0;
    while (start < names.size()) {
        auto comma = names.find(',', start);
        if (comma == std::string::npos)
            comma = names.size();
        if (comma > start)
            out.push_back(names.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

std::string accessOf(const Poco::JSON::Object::Ptr& route)
{
    const std::string access = route->getValue<std::string>("access");
    if (access != "roles")
        return access;
    std::vector<std::string> roles;
    auto list = route->getArray("roles");
    for (std::size_t i = 0; i < list->size(); ++i)
        roles.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
    std::sort(roles.begin(), roles.end());
    std::string out;
    for (const auto& r : roles)
        out += (out.empty() ? "" : ",") + r;
    return out;
}

bool allows(const std::string& access, const std::string& role)
{
    if (access == "public" || access == "authenticated")
        return true;
    std::string padded = "," + access + ",";
    return padded.find("," + role + ",") != std::string::npos;
}

/// A concrete path for a pattern: every {param} becomes 1.
std::string concrete(const std::string& pattern)
{
    std::string out;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{') {
            // An id no object has: the matrix pins what a route's declaration
            // answers; a real object would add its own object-level answer.
            out += "987654";
            i = pattern.find('}', i);
        } else {
            out += pattern[i];
        }
    }
    return out;
}

std::string mint(const std::string& sub, const std::string& sid, const std::string& role, std::int64_t iat,
    std::int64_t exp)
{
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setSubject(sub);
    token.payload().set("sid", sid);
    token.payload().set("role", role);
    token.payload().set("iat", static_cast<Poco::Int64>(iat));
    token.payload().set("exp", static_cast<Poco::Int64>(exp));
    return Poco::JWT::Signer(kSecret).sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::string sessionOf(const std::string& token)
{
    const auto dot1 = token.find('.'), dot2 = token.rfind('.');
    auto payload = unbase64Url(token.substr(dot1 + 1, dot2 - dot1 - 1));
    return payload.substr(payload.find("\"sid\":\"") + 7, 32);
}

} // namespace

class AuthorizationMatrixTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(AuthorizationMatrixTest);
    CPPUNIT_TEST(everyRouteAnswersEachCallerAsDeclared);
    CPPUNIT_TEST_SUITE_END();

public:
    void everyRouteAnswersEachCallerAsDeclared()
    {
        TempDir keys;
        const std::string keyFile = keys.file("jwt.key");
        writeFile(keyFile, kSecret);
        ::chmod(keyFile.c_str(), 0600);
        const auto plugins = builtPlugins();
        CPPUNIT_ASSERT_MESSAGE("the build made no plugin", !plugins.empty());
        std::string load;
        for (const auto& plugin : plugins)
            load += (load.empty() ? "" : ",") + plugin;
        Daemon::Options o;
        o.config["auth.jwt_secret_file"] = keyFile;
        o.config["plugins.load"] = load;
        o.config["auth.rate_limit_per_minute"] = "0";
        Daemon d(o);
        // A plugin that did not start serves no route: its routes would be
        // missing from the matrix without a word.
        for (const auto& plugin : plugins)
            CPPUNIT_ASSERT_MESSAGE("plugin " + plugin + " did not start:\n" + d.log(),
                d.log().find("started plugin " + plugin) != std::string::npos);
        auto c = d.client();

        std::map<std::string, Account> accounts;
        accounts["admin"] = firstAdmin(d, c);
        // With the records plugin loaded, a patient account must link to a
        // record that exists.
        std::string patientLink = "\"patient_id\":1";
        if (load.find("records") != std::string::npos) {
            auto p = c.post("/api/v1/patients",
                R"({"first_name":"Matrix","last_name":"Patient","birth_date":"1980-01-01","sex":"female",)"
                R"("phone":"0721 555 000","email":"matrix@example.ro","language":"en","allergies":[]})",
                bearer(accounts["admin"].accessToken));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(p.body, 201, p.status);
            patientLink = "\"patient_id\":" + std::to_string(p.json()->getValue<Poco::Int64>("id"));
        }
        for (const auto& role : kRoles)
            if (role != "admin")
                accounts[role] = createAndSignIn(
                    c, accounts["admin"], "matrix." + role, role, role == "patient" ? patientLink : "");
        // Linked in the database: the API links only a doctor that exists,
        // and the matrix makes none.
        sqlOutput(d, "UPDATE users SET doctor_id = 1 WHERE username = 'matrix.doctor'");

        auto listed = c.get("/api/v1/system/routes", bearer(accounts["admin"].accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.body, 200, listed.status);
        auto routes = listed.json()->getArray("items");
        CPPUNIT_ASSERT(routes->size() >= 10);

        const Account& nurse = accounts["nurse"];
        const std::int64_t t = std::time(nullptr);
        const std::string expired
            = mint(std::to_string(nurse.id), sessionOf(nurse.accessToken), "nurse", t - 1000, t - 5);
        std::string flipped = accounts["admin"].accessToken;
        flipped[flipped.rfind('.') + 2] = flipped[flipped.rfind('.') + 2] == 'A' ? 'B' : 'A';
        // A patient's token with the role claim rewritten to admin, signature kept.
        std::string promoted;
        {
            const std::string& p = accounts["patient"].accessToken;
            const auto dot1 = p.find('.'), dot2 = p.rfind('.');
            std::string payload = unbase64Url(p.substr(dot1 + 1, dot2 - dot1 - 1));
            payload.replace(payload.find("\"patient\""), 9, "\"admin\"");
            promoted = p.substr(0, dot1 + 1) + base64Url(payload) + p.substr(dot2);
        }
        const std::map<std::string, std::string> badTokens = {{"no token", ""}, {"expired token", expired},
            {"flipped signature", flipped}, {"role claim changed", promoted}};

        std::vector<std::string> failures;
        std::set<std::string> covered, exercised;
        for (std::size_t i = 0; i < routes->size(); ++i) {
            auto route = routes->getObject(static_cast<unsigned>(i));
            const std::string method = route->getValue<std::string>("method");
            const std::string pattern = route->getValue<std::string>("pattern");
            const std::string key = method + " " + pattern;
            auto expected = kExpected.find(key);
            if (expected == kExpected.end()) {
                failures.push_back("undeclared route: " + key + " (owner "
                    + route->getValue<std::string>("owner") + ", access " + accessOf(route)
                    + "): add it to kExpected");
                continue;
            }
            covered.insert(key);
            const std::string declared = accessOf(route);
            if (declared != expected->second) {
                failures.push_back(key + ": declared " + declared + ", documented " + expected->second);
                continue;
            }
            const auto skipped = kNotExercised.find(key);
            if (skipped != kNotExercised.end()) {
                std::cout << "\n  not exercised: " << key << ": " << skipped->second;
                continue;
            }
            exercised.insert(key);
            const std::string path = concrete(pattern);
            const std::string body = method == "GET" ? "" : "{}";

            for (const auto& [what, token] : badTokens) {
                auto r = c.request(method, path, body,
                    token.empty() ? std::map<std::string, std::string> {} : bearer(token));
                if (declared == "public") {
                    if (r.status == 401 || r.status == 403)
                        failures.push_back(
                            key + " with " + what + ": public route answered " + std::to_string(r.status));
                } else if (r.status != 401) {
                    failures.push_back(
                        key + " with " + what + ": expected 401, got " + std::to_string(r.status));
                }
            }
            for (const auto& role : kRoles) {
                // Logging out ends the session the rest of the matrix uses:
                // use a throwaway session for it.
                std::string token = accounts[role].accessToken;
                if (key == "POST /api/v1/auth/logout")
                    token = signIn(c, accounts[role].username).accessToken;
                auto r = c.request(method, path, body, bearer(token));
                const bool allowed = allows(declared, role);
                if (allowed && (r.status == 401 || r.status == 403))
                    failures.push_back(key + " as " + role + ": allowed, but got " + std::to_string(r.status)
                        + " " + r.body.substr(0, 120));
                if (!allowed && r.status != 403)
                    failures.push_back(
                        key + " as " + role + ": expected 403, got " + std::to_string(r.status));
            }
        }
        // The routes every daemon has, and those of the plugins loaded, must
        // have been listed and exercised.
        std::vector<std::string> must = {"GET /api/v1/auth/me", "GET /api/v1/users", "GET /api/v1/audit",
            "GET /api/v1/system/routes", "POST /api/v1/auth/login"};
        if (load.find("metrics") != std::string::npos)
            must.push_back("GET /metrics");
        if (load.find("example") != std::string::npos)
            must.push_back("GET /api/v1/example/notes/{id}");
        if (load.find("records") != std::string::npos)
            must.push_back("GET /api/v1/patients/{id}/export");
        if (load.find("scheduling") != std::string::npos)
            must.push_back("GET /api/v1/availability");
        for (const auto& must : must)
            if (!covered.count(must))
                failures.push_back("not listed by /api/v1/system/routes: " + must);
        for (const auto& [key, reason] : kNotExercised)
            if (!covered.count(key))
                failures.push_back("kNotExercised names a route the daemon does not list: " + key);
        std::cout << "\n  " << routes->size() << " routes listed, " << exercised.size()
                  << " exercised, plugins " << load << std::endl;
        std::string report;
        for (const auto& f : failures)
            report += "\n  " + f;
        CPPUNIT_ASSERT_MESSAGE("authorization matrix:" + report, failures.empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(AuthorizationMatrixTest);
