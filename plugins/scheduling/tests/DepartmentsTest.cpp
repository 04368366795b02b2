// Departments: the resource and who may change it, bad input changing
// nothing, services and doctors belonging to one, search by department, the
// reports broken down by department, and the upgrade that turns the
// services' free-text departments into department rows.

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>

#include "ClinicFixture.h"

using namespace clinic::test;

namespace {

std::string str(std::int64_t n)
{
    return std::to_string(n);
}

ClinicFixture::Options departmentOptions(const std::string& dataDir = "")
{
    ClinicFixture::Options o;
    o.daemon.config["clock.start"] = "2027-03-01T06:00:00Z"; // Monday, 08:00 in Bucharest
    o.daemon.dataDir = dataDir;
    o.accountPrefix = "dept";
    o.roles = {"receptionist", "patient"};
    return o;
}

} // namespace

class DepartmentsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(DepartmentsTest);
    CPPUNIT_TEST(departmentsAreAResourceServicesAndDoctorsBelongTo);
    CPPUNIT_TEST(reportsBreakDownByDepartment);
    CPPUNIT_TEST(upgradeTurnsServiceTextIntoDepartments);
    CPPUNIT_TEST_SUITE_END();

public:
    void departmentsAreAResourceServicesAndDoctorsBelongTo()
    {
        ClinicFixture k(departmentOptions());
        auto& c = k.client();
        const auto admin = k.as("admin"), desk = k.as("receptionist");
        const auto location = k.newLocation("Europe/Bucharest");
        const auto doctor = k.newDoctor(location, {});
        auto created = c.post("/api/v1/departments",
            R"({"name":"Cardiologie","location_id":)" + str(location) + R"(,"head_doctor_id":)" + str(doctor)
                + "}",
            admin);
        const auto cardio = createdId(created);
        CPPUNIT_ASSERT_EQUAL(location, createdJson(created)->getValue<std::int64_t>("location_id"));
        CPPUNIT_ASSERT_EQUAL(doctor, createdJson(created)->getValue<std::int64_t>("head_doctor_id"));
        const auto derm = createdId(c.post(
            "/api/v1/departments", R"({"name":"Dermatologie","location_id":)" + str(location) + "}", admin));
        CPPUNIT_ASSERT(c.get("/api/v1/departments/" + str(derm), desk).json()->isNull("head_doctor_id"));

        // Admin writes only; everyone signed in reads.
        CPPUNIT_ASSERT_EQUAL(403,
            c.post("/api/v1/departments", R"({"name":"X","location_id":)" + str(location) + "}", desk)
                .status);
        CPPUNIT_ASSERT_EQUAL(403, c.request("DELETE", "/api/v1/departments/" + str(derm), "", desk).status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/departments", k.as("patient")).status);

        // Bad input on every write: 4xx and nothing changed.
        const long before = k.count("scheduling_departments");
        const std::string at = R"(,"location_id":)" + str(location);
        for (const std::string& body :
            std::vector<std::string> {"{}", "{\"name\":\"\"" + at + "}", R"({"name":"A"})",
                R"({"name":"A","location_id":999999})", R"({"name":"A","location_id":"1"})",
                "{\"name\":\"" + std::string(101, 'a') + "\"" + at + "}",
                R"({"name":"A","head_doctor_id":999999)" + at + "}",
                R"({"name":"A","head_doctor_id":0)" + at + "}", "{\"name\":\"A\\u202Eb\"" + at + "}",
                R"([1,2])"}) {
            auto r = c.post("/api/v1/departments", body, admin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(400, c.post("/api/v1/departments", "{\"name\":", admin).status);
        const std::string path = "/api/v1/departments/" + str(cardio);
        for (const std::string body : {R"({"name":""})", R"({"location_id":999999})",
                 R"({"head_doctor_id":-1})", R"({"name":"B","location_id":null})"}) {
            auto r = c.request("PATCH", path, body, admin);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(body + " -> " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(before, k.count("scheduling_departments"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("Cardiologie"), c.get(path, desk).json()->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(
            404, c.request("PATCH", "/api/v1/departments/999999", R"({"name":"C"})", admin).status);

        // A service names its department by id (its text field is the
        // name) or, as before, by name; a doctor by id.
        auto service = createdJson(c.post("/api/v1/services",
            R"({"name":"EKG","department_id":)" + str(cardio)
                + R"(,"duration_min":30,"price_minor":10000,"currency":"RON"})",
            admin));
        CPPUNIT_ASSERT_EQUAL(std::string("Cardiologie"), service->getValue<std::string>("department"));
        auto byName = createdJson(c.post("/api/v1/services",
            R"({"name":"Peeling","department":"Dermatologie","duration_min":30,"price_minor":10000,"currency":"RON"})",
            admin));
        CPPUNIT_ASSERT_EQUAL(derm, byName->getValue<std::int64_t>("department_id"));
        auto badService = c.post("/api/v1/services",
            R"({"name":"X","department_id":999999,"duration_min":30,"price_minor":1,"currency":"RON"})",
            admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(badService.body, 422, badService.status);
        CPPUNIT_ASSERT_EQUAL(2L, k.count("scheduling_services"));
        auto moved = c.request(
            "PATCH", "/api/v1/doctors/" + str(doctor), R"({"department_id":)" + str(cardio) + "}", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(moved.body, 200, moved.status);
        CPPUNIT_ASSERT_EQUAL(422,
            c.request("PATCH", "/api/v1/doctors/" + str(doctor), R"({"department_id":999999})", admin)
                .status);
        const auto other = k.newDoctor(location, {});
        auto found = c.get("/api/v1/doctors?department_id=" + str(cardio), desk).json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), found->size());
        CPPUNIT_ASSERT_EQUAL(doctor, found->getObject(0)->getValue<std::int64_t>("id"));
        CPPUNIT_ASSERT(c.get("/api/v1/doctors/" + str(other), desk).json()->isNull("department_id"));
        CPPUNIT_ASSERT_EQUAL(422, c.get("/api/v1/doctors?department_id=abc", desk).status);

        // A new name reaches the services' text field.
        auto renamed = c.request("PATCH", path, R"({"name":"Cardiologie adulți"})", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(renamed.body, 200, renamed.status);
        CPPUNIT_ASSERT_EQUAL(std::string("Cardiologie adulți"),
            c.get("/api/v1/services/" + str(service->getValue<std::int64_t>("id")), desk)
                .json()
                ->getValue<std::string>("department"));

        // Removing one that services or doctors belong to is refused.
        auto refused = c.request("DELETE", path, "", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(refused.body, 409, refused.status);
        CPPUNIT_ASSERT_EQUAL(std::string("CONFLICT"), refused.errorCode());
        CPPUNIT_ASSERT_EQUAL(200,
            c.request("PATCH", "/api/v1/services/" + str(service->getValue<std::int64_t>("id")),
                 R"({"department_id":)" + str(derm) + "}", admin)
                .status);
        CPPUNIT_ASSERT_EQUAL(409, c.request("DELETE", path, "", admin).status); // the doctor still does
        CPPUNIT_ASSERT_EQUAL(200,
            c.request("PATCH", "/api/v1/doctors/" + str(doctor), R"({"department_id":null})", admin).status);
        CPPUNIT_ASSERT_EQUAL(204, c.request("DELETE", path, "", admin).status);
        CPPUNIT_ASSERT_EQUAL(404, c.get(path, desk).status);
        CPPUNIT_ASSERT_EQUAL(404, c.request("DELETE", path, "", admin).status);
    }

    void reportsBreakDownByDepartment()
    {
        ClinicFixture k(departmentOptions());
        auto& c = k.client();
        const auto admin = k.as("admin"), desk = k.as("receptionist");
        const auto location = k.newLocation("Europe/Bucharest");
        const auto cardio = k.newService(30, "EKG", 20000, "Cardiologie");
        const auto derm = k.newService(30, "Peeling", 10000, "Dermatologie");
        const auto doctor = k.newDoctor(location, {cardio, derm});
        auto hours = c.request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours",
            R"([{"weekday":1,"start":"09:00","end":"17:00","location_id":)" + str(location) + "}]", admin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);
        auto book = [&](std::int64_t service, const std::string& start) {
            return createdId(c.post("/api/v1/appointments",
                R"({"patient_id":)" + str(k.patient()) + R"(,"doctor_id":)" + str(doctor)
                    + R"(,"service_id":)" + str(service) + R"(,"start":")" + start + "\"}",
                desk));
        };
        book(cardio, "2027-03-01T10:00:00+02:00");
        book(cardio, "2027-03-01T10:30:00+02:00");
        const auto cancelled = book(derm, "2027-03-01T11:00:00+02:00");
        book(derm, "2027-03-01T11:30:00+02:00");
        CPPUNIT_ASSERT_EQUAL(200,
            c.post("/api/v1/appointments/" + str(cancelled) + "/cancel", R"({"reason":"ill"})", desk).status);
        const std::string cardioId
            = k.sql("SELECT department_id FROM scheduling_services WHERE id = " + str(cardio) + ";");

        auto dash = c.get("/api/v1/stats/dashboard", desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, 200, dash.status);
        auto departments = dash.json()->getArray("today_by_department");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, std::size_t(2), departments->size());
        CPPUNIT_ASSERT_EQUAL(
            std::string("Cardiologie"), departments->getObject(0)->getValue<std::string>("name"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(2), departments->getObject(0)->getValue<Poco::Int64>("appointments"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(60), departments->getObject(0)->getValue<Poco::Int64>("booked_minutes"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(1), departments->getObject(1)->getValue<Poco::Int64>("appointments"));

        auto monthly = c.get("/api/v1/reports/monthly?month=2027-03&by=department", desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(monthly.body, 200, monthly.status);
        auto items = monthly.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(monthly.body, std::size_t(2), items->size());
        CPPUNIT_ASSERT_EQUAL(std::string("department"), monthly.json()->getValue<std::string>("by"));
        CPPUNIT_ASSERT_EQUAL(cardioId, str(items->getObject(0)->getValue<std::int64_t>("department_id")));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), items->getObject(0)->getValue<Poco::Int64>("booked"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), items->getObject(1)->getValue<Poco::Int64>("booked"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), items->getObject(1)->getValue<Poco::Int64>("cancelled"));
        auto csv = c.request("GET", "/api/v1/reports/monthly?month=2027-03&by=department", "",
            {{"Accept", "text/csv"}, {"Authorization", desk.at("Authorization")}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, 200, csv.status);
        CPPUNIT_ASSERT_MESSAGE(csv.body,
            csv.body.find(
                "department_id,department,booked,completed,cancelled,no_show,revenue_minor,currency\r\n")
                == 0);
        CPPUNIT_ASSERT_MESSAGE(
            csv.body, csv.body.find(cardioId + ",\"Cardiologie\",2,0,0,0,0,\r\n") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(
            csv.body, csv.body.find(",\"Dermatologie\",2,0,1,0,0,\r\n") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(422, c.get("/api/v1/reports/monthly?month=2027-03&by=service", desk).status);
    }

    void upgradeTurnsServiceTextIntoDepartments()
    {
        TempDir dir;
        auto k = std::make_unique<ClinicFixture>(departmentOptions(dir.file("data")));
        const auto a = k->newService(30, "EKG", 1000, "cardiology");
        const auto b = k->newService(30, "Holter", 1000, "cardiology");
        const auto c = k->newService(30, "Peeling", 1000, "dermatology");
        // Back to the schema before departments: services carry only their
        // text, and the departments steps have not run.
        const bool maria = backend() == "mariadb";
        for (const std::string& statement : {
                 std::string(maria ? "DROP INDEX scheduling_doctors_department ON scheduling_doctors"
                                   : "DROP INDEX scheduling_doctors_department"),
                 std::string(maria ? "DROP INDEX scheduling_services_department ON scheduling_services"
                                   : "DROP INDEX scheduling_services_department"),
                 std::string("ALTER TABLE scheduling_doctors DROP COLUMN department_id"),
                 std::string("ALTER TABLE scheduling_services DROP COLUMN department_id"),
                 std::string("DROP TABLE scheduling_departments"),
                 std::string("DELETE FROM schema_migrations WHERE owner = 'scheduling' AND version >= 13"),
             })
            k->sql(statement + ";");
        const std::string dbUrl = k->daemon().dbUrl();
        CPPUNIT_ASSERT_EQUAL(0, k->daemon().stop());
        k.reset();

        Daemon::Options o = clinicDaemonOptions();
        o.dataDir = dir.file("data");
        o.dbUrl = dbUrl;
        Daemon d(o);
        CPPUNIT_ASSERT_EQUAL(std::string("2"), sqlOutput(d, "SELECT COUNT(*) FROM scheduling_departments;"));
        CPPUNIT_ASSERT_EQUAL(std::string("0"),
            sqlOutput(d, "SELECT COUNT(*) FROM scheduling_departments WHERE location_id IS NOT NULL;"));
        auto departmentOf = [&](std::int64_t service) {
            return sqlOutput(d,
                "SELECT dp.name FROM scheduling_services s JOIN scheduling_departments dp ON dp.id = "
                "s.department_id"
                " WHERE s.id = "
                    + str(service) + ";");
        };
        CPPUNIT_ASSERT_EQUAL(std::string("cardiology"), departmentOf(a));
        CPPUNIT_ASSERT_EQUAL(std::string("cardiology"), departmentOf(b));
        CPPUNIT_ASSERT_EQUAL(std::string("dermatology"), departmentOf(c));
        auto admin = d.adminClient();
        auto service = admin.get("/api/v1/services/" + str(c));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(service.body, 200, service.status);
        CPPUNIT_ASSERT_EQUAL(std::string("dermatology"), service.json()->getValue<std::string>("department"));
        auto list = admin.get("/api/v1/departments");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(list.body, 200, list.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), list.json()->getArray("items")->size());
        CPPUNIT_ASSERT(list.json()->getArray("items")->getObject(0)->isNull("location_id"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(DepartmentsTest);
