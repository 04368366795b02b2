// The SMTP path's figures for the issue notes: N reminders (default 1,000)
// due at one instant, sent by one clinicd (default senders) to a local
// aiosmtpd server. Prints messages per second through the SMTP path and the
// time from due to handed to the server (p50, p99). Nothing here passes or
// fails on time. Not a ctest test: run it through tests/bench/notifications_smtp.sh.

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "NotificationsFixture.h"

using namespace nt;

class NotificationsSmtpBench : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotificationsSmtpBench);
    CPPUNIT_TEST(measure);
    CPPUNIT_TEST_SUITE_END();

public:
    void measure()
    {
        const int n
            = std::getenv("NOTIFICATIONS_BENCH_N") ? std::atoi(std::getenv("NOTIFICATIONS_BENCH_N")) : 1000;
        TempDir rules;
        SmtpSink sink;
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,notifications");
        o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
        o.daemon.config["rules.dir"] = rules.path();
        o.daemon.config["log.level"] = "information"; // the fixture reads "started plugin"
        useSmtp(o.daemon, sink);
        o.accountPrefix = "bench";
        o.roles = {};
        ClinicFixture c(o);
        const auto location = c.newLocation("Europe/Bucharest");
        const auto service = c.newService(5);
        const auto doctor = c.newDoctor(location, {service});
        std::string hours;
        for (int d = 1; d <= 5; ++d)
            hours += std::string(hours.empty() ? "[" : ",") + R"({"weekday":)" + str(d)
                + R"(,"start":"08:00","end":"20:00","location_id":)" + str(location) + "}";
        c.client().request("PUT", "/api/v1/doctors/" + str(doctor) + "/hours", hours + "]", c.as("admin"));
        const auto patient = newPatient(c, "Bench", "ro", "bench@patients.test");
        const int days[] = {11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29};
        for (int i = 0; i < n; ++i) {
            const int day = days[i / 144], minute = 8 * 60 + (i % 144) * 5;
            char start[40];
            std::snprintf(
                start, sizeof start, "2027-01-%02dT%02d:%02d:00+02:00", day, minute / 60, minute % 60);
            auto b = c.client().post("/api/v1/appointments",
                R"({"patient_id":)" + str(patient) + R"(,"doctor_id":)" + str(doctor) + R"(,"service_id":)"
                    + str(service) + R"(,"start":")" + start + "\"}",
                c.as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(b.body, 201, b.status);
        }
        CPPUNIT_ASSERT(pollUntil(
            [&] {
                return c.count("notifications_outbox",
                           "kind = 'appointment.booked' AND channel = 'email' AND status = 'sent'")
                    == n;
            },
            120));

        const double due
            = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        write(c, "UPDATE jobs SET run_at = 0 WHERE kind = 'appointment.reminder'");
        // The booking notices arrived first; now the reminders.
        sink.await("bench@patients.test", static_cast<std::size_t>(2 * n), 600, &c);
        std::vector<double> handed;
        for (auto& m : sink.to("bench@patients.test"))
            if (m->getValue<std::string>("subject").rfind("Reamintire", 0) == 0)
                handed.push_back(m->getValue<double>("at") - due);
        CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(n), handed.size());
        std::sort(handed.begin(), handed.end());
        auto pct = [&](double p) {
            return handed[std::min(handed.size() - 1, static_cast<std::size_t>(p * handed.size()))];
        };
        const double span = handed.back() - handed.front();
        // Where the time goes: how fast the reminder jobs became outbox rows
        // (the job workers) against how fast the rows left (the senders).
        std::string spanText = c.sql(
            "SELECT MAX(created_at) - MIN(created_at), MAX(sent_at) - MIN(sent_at) FROM notifications_outbox"
            " WHERE kind = 'appointment.reminder'");
        for (char& ch : spanText)
            if (ch == '|' || ch == '\t')
                ch = ' '; // sqlite3 and mariadb separate columns differently
        std::istringstream spans(spanText);
        double writtenMs = 0, sentMs = 0;
        spans >> writtenMs >> sentMs;
        std::cout << "\nnotifications_smtp backend=" << backend() << " reminders=" << n
                  << " messages_per_s=" << (span > 0 ? (n - 1) / span : 0)
                  << " due_to_handed_p50_s=" << pct(0.50) << " p99_s=" << pct(0.99)
                  << " max_s=" << handed.back() << " rows_written_over_s=" << writtenMs / 1000
                  << " rows_sent_over_s=" << sentMs / 1000 << "\n";
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotificationsSmtpBench);
