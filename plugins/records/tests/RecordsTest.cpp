// Patients: creation, validation, duplicates, search and self-registration.

#include "RecordsFixture.h"

class RecordsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordsTest);
    CPPUNIT_TEST(patientIsCreatedReadAndChangedWithAnAuditRowEach);
    CPPUNIT_TEST(badPatientInputIsRefusedNamingEachFieldAndNothingIsWritten);
    CPPUNIT_TEST(duplicateIsAConflictNamingTheExistingRecordUnlessForced);
    CPPUNIT_TEST(searchFindsByNamePrefixPhoneBirthDateAndNationalIdInPages);
    CPPUNIT_TEST(registrationCreatesTheAccountAndTheRecordTogether);
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
        // Allergies are clinical: not shown to reception, shown to a nurse.
        CPPUNIT_ASSERT(!p->has("allergies"));
        auto clinical = client().get(path(id), as("nurse")).json();
        CPPUNIT_ASSERT_EQUAL(
            std::string("penicillin"), clinical->getArray("allergies")->getElement<std::string>(0));
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
        // A second registration of the same person is not refused: a 409
        // would tell anyone who asks that this person is a patient here. The
        // new record stands apart; the old one is not reached through it.
        r = client().post("/api/v1/auth/register",
            R"({"username":"self.again","password":")" + kPassword
                + R"(","first_name":"SELF","last_name":"registered","birth_date":"2001-02-28","sex":"male",)"
                  R"("phone":"0700 123 456","force":true})");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
        const std::string again = r.json()->getValue<std::string>("access_token");
        const auto second
            = client().get("/api/v1/auth/me", bearer(again)).json()->getValue<Poco::Int64>("patient_id");
        CPPUNIT_ASSERT(second != id);
        CPPUNIT_ASSERT_EQUAL(404, client().get(path(id), bearer(again)).status);
        CPPUNIT_ASSERT_EQUAL(patients + 2, count("records_patients"));
        CPPUNIT_ASSERT_EQUAL(users + 2, count("users"));
        // Nobody registers under a national id: reception records it.
        r = client().post("/api/v1/auth/register",
            R"({"username":"self.claims","password":")" + kPassword
                + R"(","first_name":"Someone","last_name":"Else","birth_date":"1990-01-01","sex":"male",)"
                  R"("phone":"0700 123 457","national_id":"RX1234567"})");
        CPPUNIT_ASSERT(invalidFields(r)->has("national_id"));
        CPPUNIT_ASSERT_EQUAL(users + 2, count("users"));
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
