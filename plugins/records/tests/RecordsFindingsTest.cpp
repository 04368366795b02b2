// Who may sign, correct and attach a visit note, who may see and change
// allergies, what a name may hold, and one record per person when two
// creates race: through the real clinicd with the scheduling plugin (whose
// appointments an encounter points at), on both backends.

#include <atomic>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

ClinicFixture& world()
{
    static std::unique_ptr<ClinicFixture> fixture;
    if (!fixture) {
        ClinicFixture::Options o;
        // A Monday, 08:00 in Bucharest: bookings on the next days have notice.
        o.daemon.config["clock.start"] = "2027-03-01T06:00:00Z";
        o.accountPrefix = "findings";
        o.doctorId = 1;
        fixture = std::make_unique<ClinicFixture>(o);
    }
    return *fixture;
}

std::string path(std::int64_t patient, const std::string& rest = "")
{
    return "/api/v1/patients/" + std::to_string(patient) + rest;
}

std::int64_t newPatient(const std::string& last, const std::string& extra = "")
{
    return world().newPatient(R"({"first_name":"Ana","last_name":")" + last
        + R"(","birth_date":"1990-05-17","sex":"female","phone":"0721 555 123","allergies":["penicillin"])"
        + extra + "}");
}

Poco::JSON::Object::Ptr fields(const HttpResult& r)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 422, r.status);
    return r.json()->getObject("error")->getObject("details")->getObject("fields");
}

} // namespace

class RecordsFindingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RecordsFindingsTest);
    CPPUNIT_TEST(aDoctorSignsEncountersOnlyAsThemself);
    CPPUNIT_TEST(aDoctorCorrectsOnlyTheirOwnEncounters);
    CPPUNIT_TEST(anEncounterPointsOnlyAtThisPatientsAppointment);
    CPPUNIT_TEST(allergiesAreClinicalData);
    CPPUNIT_TEST(theAuditRowNamesTheFieldsChanged);
    CPPUNIT_TEST(namesRefuseLineBreaksAndTextDirectionControls);
    CPPUNIT_TEST(twoSimultaneousCreatesOfOnePersonMakeOneRecord);
    CPPUNIT_TEST_SUITE_END();

public:
    void aDoctorSignsEncountersOnlyAsThemself()
    {
        auto& c = world().client();
        const auto p = newPatient("Semnatura");
        auto foreign = c.post(
            path(p, "/encounters"), R"({"doctor_id":99,"summary":"not mine"})", world().as("doctor"));
        CPPUNIT_ASSERT(fields(foreign)->has("doctor_id"));
        auto own = c.post(path(p, "/encounters"), R"({"summary":"mine"})", world().as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(own.body, 201, own.status);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), own.json()->getValue<Poco::Int64>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(1L, world().count("records_encounters", "patient_id = " + std::to_string(p)));
    }

    void aDoctorCorrectsOnlyTheirOwnEncounters()
    {
        auto& c = world().client();
        const auto p = newPatient("Corectura");
        auto byOther = c.post(
            path(p, "/encounters"), R"({"doctor_id":99,"summary":"by doctor 99"})", world().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(byOther.body, 201, byOther.status);
        const auto id = byOther.json()->getValue<Poco::Int64>("id");
        auto hijack = c.post(path(p, "/encounters"),
            R"({"supersedes":)" + std::to_string(id) + R"(,"summary":"rewritten"})", world().as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hijack.body, 403, hijack.status);
        CPPUNIT_ASSERT_EQUAL(1L, world().count("records_encounters", "patient_id = " + std::to_string(p)));
        auto mine = c.post(path(p, "/encounters"), R"({"summary":"first"})", world().as("doctor"));
        const auto mineId = mine.json()->getValue<Poco::Int64>("id");
        auto fix = c.post(path(p, "/encounters"),
            R"({"supersedes":)" + std::to_string(mineId) + R"(,"summary":"corrected"})",
            world().as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(fix.body, 201, fix.status);
    }

    void anEncounterPointsOnlyAtThisPatientsAppointment()
    {
        auto& c = world().client();
        const auto location = world().newLocation();
        const auto service = world().newService(30);
        const auto doctor = world().newDoctor(location, {service});
        std::string hours;
        for (int day = 1; day <= 7; ++day)
            hours += std::string(hours.empty() ? "" : ",") + R"({"weekday":)" + std::to_string(day)
                + R"(,"start":"08:00","end":"20:00","location_id":)" + std::to_string(location) + "}";
        auto put = c.request("PUT", "/api/v1/doctors/" + std::to_string(doctor) + "/hours", "[" + hours + "]",
            world().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(put.body, 200, put.status);
        auto book = [&](std::int64_t patient, const std::string& start) {
            return createdId(c.post("/api/v1/appointments",
                R"({"patient_id":)" + std::to_string(patient) + R"(,"doctor_id":)" + std::to_string(doctor)
                    + R"(,"service_id":)" + std::to_string(service) + R"(,"start":")" + start + R"("})",
                world().as("receptionist")));
        };
        const auto p = newPatient("Vizita"), other = newPatient("Altcineva");
        const auto theirs = book(other, "2027-03-02T10:00:00+02:00");
        const auto ours = book(p, "2027-03-02T11:00:00+02:00");
        auto wrong = c.post(path(p, "/encounters"),
            R"({"summary":"visit","appointment_id":)" + std::to_string(theirs) + "}", world().as("doctor"));
        CPPUNIT_ASSERT(fields(wrong)->has("appointment_id"));
        auto missing = c.post(
            path(p, "/encounters"), R"({"summary":"visit","appointment_id":99999})", world().as("doctor"));
        CPPUNIT_ASSERT(fields(missing)->has("appointment_id"));
        auto right = c.post(path(p, "/encounters"),
            R"({"summary":"visit","appointment_id":)" + std::to_string(ours) + "}", world().as("doctor"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(right.body, 201, right.status);
    }

    void allergiesAreClinicalData()
    {
        auto& c = world().client();
        const auto p = newPatient("Alergii");
        auto seen = c.get(path(p), world().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(seen.body, 200, seen.status);
        CPPUNIT_ASSERT_MESSAGE(seen.body, !seen.json()->has("allergies"));
        auto listed = c.get("/api/v1/patients?q=Alergii", world().as("receptionist"));
        CPPUNIT_ASSERT_MESSAGE(listed.body, listed.body.find("penicillin") == std::string::npos);

        auto cleared = c.request("PATCH", path(p), R"({"allergies":[]})", world().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cleared.body, 403, cleared.status);
        auto kept = c.get(path(p), world().as("nurse"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), kept.json()->getArray("allergies")->size());
        CPPUNIT_ASSERT(
            world().count("audit_log",
                "action = 'patient.update' AND outcome = 'denied' AND patient_id = " + std::to_string(p))
            >= 1);
        // Reception still keeps the demographics up to date.
        auto phone = c.request("PATCH", path(p), R"({"phone":"0722 111 222"})", world().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(phone.body, 200, phone.status);
        CPPUNIT_ASSERT(!phone.json()->has("allergies"));
        auto created = c.post("/api/v1/patients",
            R"({"first_name":"Ion","last_name":"Recep","birth_date":"1970-01-01","sex":"male",)"
            R"("phone":"0722 000 333","allergies":["latex"]})",
            world().as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(created.body, 403, created.status);
        CPPUNIT_ASSERT_EQUAL(0L, world().count("records_patients", "last_name = 'Recep'"));
    }

    void theAuditRowNamesTheFieldsChanged()
    {
        auto& c = world().client();
        const auto p = newPatient("Campuri");
        auto r = c.request(
            "PATCH", path(p), R"({"allergies":["latex"],"phone":"0722 999 000"})", world().as("nurse"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(1L,
            world().count("audit_log",
                "action = 'patient.update' AND outcome = 'ok' AND patient_id = " + std::to_string(p)
                    + " AND reason = 'changed: phone, allergies'"));
    }

    void namesRefuseLineBreaksAndTextDirectionControls()
    {
        auto& c = world().client();
        for (const std::string name : {R"(Ana\u202Eucsepop)", R"(Ana\nPop)", R"(\uFEFFAna)",
                 R"(Ana\u2066Pop)", R"(Ana\tPop)", R"(Ana\u200FPop)"}) {
            auto r = c.post("/api/v1/patients",
                R"({"first_name":")" + name
                    + R"(","last_name":"Nume","birth_date":"1970-01-01","sex":"male","phone":"0722 000 444"})",
                world().as("admin"));
            CPPUNIT_ASSERT_MESSAGE(name, fields(r)->has("first_name"));
        }
        CPPUNIT_ASSERT_EQUAL(0L, world().count("records_patients", "last_name = 'Nume'"));
        auto plain = c.post("/api/v1/patients",
            R"({"first_name":"Ștefan-Ioan","last_name":"Nume","birth_date":"1970-01-01","sex":"male","phone":"0722 000 444"})",
            world().as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(plain.body, 201, plain.status);
    }

    void twoSimultaneousCreatesOfOnePersonMakeOneRecord()
    {
        const auto& daemon = world().daemon();
        const auto admin = world().as("admin");
        for (int round = 0; round < 6; ++round) {
            const std::string last = "Gemeni" + std::string(1, static_cast<char>('A' + round));
            const std::string body = R"({"first_name":"Maria","last_name":")" + last
                + R"(","birth_date":"1985-07-07","sex":"female","phone":"0722 123 456"})";
            std::atomic<int> ready {0};
            int statuses[2] = {0, 0};
            std::vector<std::thread> threads;
            for (int i = 0; i < 2; ++i)
                threads.emplace_back([&, i] {
                    auto c = daemon.client();
                    ready.fetch_add(1);
                    while (ready.load() < 2)
                        std::this_thread::yield();
                    statuses[i] = c.post("/api/v1/patients", body, admin).status;
                });
            for (auto& t : threads)
                t.join();
            CPPUNIT_ASSERT_EQUAL_MESSAGE("round " + std::to_string(round), 1L,
                world().count("records_patients", "last_name = '" + last + "'"));
            CPPUNIT_ASSERT_EQUAL(201 + 409, statuses[0] + statuses[1]);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RecordsFindingsTest);
