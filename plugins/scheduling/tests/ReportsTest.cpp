// The dashboard and the monthly report count what was booked.

#include "CalendarRulesFixture.h"

class ReportsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ReportsTest);
    CPPUNIT_TEST(dashboardAndMonthlyReportCountWhatWasBooked);
    CPPUNIT_TEST_SUITE_END();

public:
    void dashboardAndMonthlyReportCountWhatWasBooked()
    {
        TempDir data;
        Daemon::Options o;
        o.dataDir = data.file("data");
        auto site = std::make_unique<Site>("", o);
        site->signInStaff();
        auto& c = *site->client;
        const auto location = site->location("Clinica Rapoarte");
        const auto service = site->service("Consult", 30, 20000);
        const std::string plainName = "Dr. Ana Raport";
        // A name a spreadsheet would run as a formula.
        const std::string formulaName = R"(=HYPERLINK("http://x.example","Dr. Formula"))";
        const auto a = site->doctor(plainName, "cardiology", location, service);
        const auto b = site->doctor(formulaName, "cardiology", location, service);
        const auto patient = site->patient("Raport", "1980-01-01");
        const auto patientLogin = bearer(site->patientLogin(patient).accessToken);
        const auto desk = site->asDesk();

        // Today (2027-03-01 in Bucharest) and later in the month.
        const auto a1 = idOf(site->booked(desk, patient, a, service, "2027-03-01T10:00:00+02:00"));
        const auto a2 = idOf(site->booked(desk, patient, a, service, "2027-03-01T10:30:00+02:00"));
        const auto a3 = idOf(site->booked(desk, patient, a, service, "2027-03-01T11:00:00+02:00"));
        site->booked(desk, patient, a, service, "2027-03-01T11:30:00+02:00");
        const auto b1 = idOf(site->booked(desk, patient, b, service, "2027-03-01T12:00:00+02:00"));
        site->booked(desk, patient, b, service, "2027-03-15T10:00:00+02:00");
        site->booked(desk, patient, a, service, "2027-04-01T10:00:00+02:00"); // not March
        site->acted(desk, a1, "check-in");
        site->acted(site->asAdmin(), a1, "complete");
        site->acted(desk, a2, "confirm");
        site->acted(desk, a3, "cancel", R"({"reason":"moved away"})");

        auto dash = c.get("/api/v1/stats/dashboard", desk);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, 200, dash.status);
        auto d = dash.json();
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-01"), d->getValue<std::string>("date"));
        CPPUNIT_ASSERT_EQUAL(std::string("Europe/Bucharest"), d->getValue<std::string>("timezone"));
        auto byStatus = d->getObject("today_by_status");
        const std::map<std::string, Poco::Int64> expected = {{"pending", 2}, {"confirmed", 1},
            {"checked_in", 0}, {"completed", 1}, {"cancelled", 1}, {"no_show", 0}};
        for (const auto& [status, n] : expected)
            CPPUNIT_ASSERT_EQUAL_MESSAGE(
                status + ": " + dash.body, n, byStatus->getValue<Poco::Int64>(status));
        auto doctors = d->getArray("today_by_doctor");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash.body, std::size_t(2), doctors->size());
        auto da = doctors->getObject(0), db = doctors->getObject(1);
        CPPUNIT_ASSERT_EQUAL(a, da->getValue<std::int64_t>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(3), da->getValue<Poco::Int64>("appointments")); // not the cancelled one
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(90), da->getValue<Poco::Int64>("booked_minutes"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(720), da->getValue<Poco::Int64>("working_minutes"));
        CPPUNIT_ASSERT_EQUAL(b, db->getValue<std::int64_t>("doctor_id"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), db->getValue<Poco::Int64>("appointments"));
        CPPUNIT_ASSERT_DOUBLES_EQUAL(120.0 / 1440.0, d->getValue<double>("utilisation"), 1e-9);
        // Pending or confirmed from now on: a2, a4, b1, b2 and April's.
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5), d->getValue<Poco::Int64>("upcoming"));
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/stats/dashboard", patientLogin).status);

        // Reports refuse a patient and a month that is not YYYY-MM.
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/reports/monthly?month=2027-03", patientLogin).status);
        for (const std::string bad : {"2027-13", "abc", "2027-00", "2027-3", ""}) {
            auto r = c.get("/api/v1/reports/monthly?month=" + bad, desk);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(bad + ": " + r.body, 422, r.status);
        }
        CPPUNIT_ASSERT_EQUAL(422, c.get("/api/v1/reports/monthly", desk).status);

        // Later that day (the same database, the clock at 12:05 in Bucharest)
        // b1 at 12:00 is marked a no-show by hand; a2 (10:30) and a4 (11:30),
        // never checked in, became no-shows by themselves 15 minutes after
        // their start.
        const std::string dbUrl = site->daemon->dbUrl();
        CPPUNIT_ASSERT_EQUAL(0, site->daemon->stop());
        site.reset();
        Daemon::Options later;
        later.dataDir = data.file("data");
        later.dbUrl = dbUrl;
        later.config["clock.start"] = "2027-03-01T10:05:00Z";
        site = std::make_unique<Site>("", later);
        auto admin = site->daemon->adminClient();
        auto noShow = admin.post("/api/v1/appointments/" + std::to_string(b1) + "/no-show", "{}");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(noShow.body, 200, noShow.status);
        CPPUNIT_ASSERT(eventually([&] {
            return countRows(*site->daemon, "scheduling_appointments", "status = 'no_show'") == 3;
        }));

        auto json = admin.get("/api/v1/reports/monthly?month=2027-03");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json.body, 200, json.status);
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03"), json.json()->getValue<std::string>("month"));
        auto items = json.json()->getArray("items");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(json.body, std::size_t(2), items->size());
        struct Expected {
            std::int64_t doctor;
            std::string name;
            Poco::Int64 booked, completed, cancelled, noShow, revenue;
        };
        const std::vector<Expected> lines
            = {{a, plainName, 4, 1, 1, 2, 20000}, {b, formulaName, 2, 0, 0, 1, 0}};
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& e = lines[i];
            auto o = items->getObject(static_cast<unsigned>(i));
            CPPUNIT_ASSERT_EQUAL(e.doctor, o->getValue<std::int64_t>("doctor_id"));
            CPPUNIT_ASSERT_EQUAL(e.name, o->getValue<std::string>("name"));
            CPPUNIT_ASSERT_EQUAL(e.booked, o->getValue<Poco::Int64>("booked"));
            CPPUNIT_ASSERT_EQUAL(e.completed, o->getValue<Poco::Int64>("completed"));
            CPPUNIT_ASSERT_EQUAL(e.cancelled, o->getValue<Poco::Int64>("cancelled"));
            CPPUNIT_ASSERT_EQUAL(e.noShow, o->getValue<Poco::Int64>("no_show"));
            auto revenue = o->getArray("revenue");
            if (e.revenue == 0) {
                CPPUNIT_ASSERT_EQUAL(std::size_t(0), revenue->size());
            } else {
                CPPUNIT_ASSERT_EQUAL(std::size_t(1), revenue->size());
                CPPUNIT_ASSERT_EQUAL(e.revenue, revenue->getObject(0)->getValue<Poco::Int64>("amount_minor"));
                CPPUNIT_ASSERT_EQUAL(
                    std::string("RON"), revenue->getObject(0)->getValue<std::string>("currency"));
            }
        }

        // The same as CSV: a header and one line per doctor with the same
        // numbers; the formula name is text to a spreadsheet.
        auto csv = admin.get("/api/v1/reports/monthly?month=2027-03", {{"Accept", "text/csv"}});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, 200, csv.status);
        CPPUNIT_ASSERT_MESSAGE(csv.header("Content-Type"), csv.header("Content-Type").find("text/csv") == 0);
        auto rows = parseCsv(csv.body);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, std::size_t(3), rows.size());
        CPPUNIT_ASSERT(rows[0]
            == (std::vector<std::string> {"doctor_id", "doctor", "booked", "completed", "cancelled",
                "no_show", "revenue_minor", "currency"}));
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const auto& e = lines[i];
            const auto& row = rows[i + 1];
            CPPUNIT_ASSERT_EQUAL_MESSAGE(csv.body, std::size_t(8), row.size());
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.doctor), row[0]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.booked), row[2]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.completed), row[3]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.cancelled), row[4]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.noShow), row[5]);
            CPPUNIT_ASSERT_EQUAL(std::to_string(e.revenue), row[6]);
            CPPUNIT_ASSERT_EQUAL(std::string(e.revenue ? "RON" : ""), row[7]);
        }
        CPPUNIT_ASSERT_EQUAL(plainName, rows[1][1]);
        CPPUNIT_ASSERT_MESSAGE(rows[2][1], rows[2][1][0] != '=');
        CPPUNIT_ASSERT_EQUAL("'" + formulaName, rows[2][1]);
        // A name led by a tab (stored before names were checked) is a
        // formula to a spreadsheet too, once it drops the tab.
        const std::string tabbed = backend() == "mariadb" ? "CONCAT(CHAR(9), '=1+2')" : "char(9) || '=1+2'";
        sqlOutput(*site->daemon,
            "UPDATE scheduling_doctors SET name = " + tabbed + " WHERE id = " + std::to_string(b) + ";");
        auto again = admin.get("/api/v1/reports/monthly?month=2027-03", {{"Accept", "text/csv"}});
        CPPUNIT_ASSERT_EQUAL(std::string("'\t=1+2"), parseCsv(again.body).at(2).at(1));

        // The no-shows, by hand and automatic, count in the 30-day rate:
        // three of the four that were due.
        auto dash2 = admin.get("/api/v1/stats/dashboard");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(dash2.body, 200, dash2.status);
        CPPUNIT_ASSERT_DOUBLES_EQUAL(0.75, dash2.json()->getValue<double>("no_show_rate_30d"), 1e-9);
        CPPUNIT_ASSERT_EQUAL(
            Poco::Int64(3), dash2.json()->getObject("today_by_status")->getValue<Poco::Int64>("no_show"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReportsTest);
