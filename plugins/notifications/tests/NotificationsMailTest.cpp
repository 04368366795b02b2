// E-mail through a real SMTP server: what booking, cancelling and
// rescheduling send, in the patient's language; a reminder checked right
// before it is sent; STARTTLS with AUTH; transient and permanent refusals.

#include "NotificationsFixture.h"

using namespace nt;

namespace {

struct MailWorld {
    std::unique_ptr<TempDir> rules; ///< an empty rules.dir: no notice or cancellation policy
    std::unique_ptr<SmtpSink> sink;
    std::unique_ptr<ClinicFixture> clinic;
    Practice practice;
};

MailWorld& world()
{
    static MailWorld w;
    if (w.clinic)
        return w;
    w.rules = std::make_unique<TempDir>();
    w.sink = std::make_unique<SmtpSink>();
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,notifications");
    o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
    o.daemon.config["rules.dir"] = w.rules->path();
    o.daemon.config["notifications.clinic_name"] = "Clinica <Test> & Co";
    o.daemon.config["notifications.backoff_seconds"] = "0.2";
    useSmtp(o.daemon, *w.sink);
    o.accountPrefix = "mail";
    o.roles = {"patient"};
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.practice = newPractice(*w.clinic);
    return w;
}

ClinicFixture& mailClinic()
{
    return *world().clinic;
}

std::string appointmentWhere(std::int64_t id, const std::string& kind, const std::string& channel = "email")
{
    return "appointment_id = " + str(id) + " AND kind = '" + kind + "' AND channel = '" + channel + "'";
}

} // namespace

class NotificationsMailTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotificationsMailTest);
    CPPUNIT_TEST(aBookingIsConfirmedByEmailInThePatientsLanguage);
    CPPUNIT_TEST(anEnglishPatientHearsInEnglishAndOfTheCancellation);
    CPPUNIT_TEST(aReminderOfACancelledAppointmentIsNeverSent);
    CPPUNIT_TEST(aRescheduledAppointmentIsRemindedOfItsNewTimeOnly);
    CPPUNIT_TEST(aPatientWithoutAddressIsSkippedWithTheReasonAndStillGetsInApp);
    CPPUNIT_TEST(aTransientRefusalIsRetriedAndAPermanentOneFails);
    CPPUNIT_TEST(startTlsAndAuthCarryTheMessage);
    CPPUNIT_TEST_SUITE_END();

public:
    void aBookingIsConfirmedByEmailInThePatientsLanguage()
    {
        auto& c = mailClinic();
        const auto patient = newPatient(c, "Ioana <b>&", "ro", "ioana@pacienti.test");
        const auto id = book(c, world().practice, patient, "2027-01-11T10:00:00+02:00");

        auto mail = world().sink->await("ioana@pacienti.test", 1, kPatienceSeconds, &c);
        auto m = mail.front();
        CPPUNIT_ASSERT_EQUAL(std::string("ioana@pacienti.test"), m->getValue<std::string>("to"));
        // The subject travelled RFC 2047-encoded and decodes back with its diacritics.
        CPPUNIT_ASSERT_EQUAL(std::string("Programarea din 11.01.2027, ora 10:00, este înregistrată"),
            m->getValue<std::string>("subject"));
        CPPUNIT_ASSERT_EQUAL(std::string("multipart/alternative"), m->getValue<std::string>("content_type"));
        const auto text = m->getValue<std::string>("text");
        const auto html = m->getValue<std::string>("html");
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Bună ziua, Ioana <b>&,") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("nr. " + str(id)) != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Clinica <Test> & Co") != std::string::npos);
        // The HTML part has the same fields, escaped.
        CPPUNIT_ASSERT_MESSAGE(html, html.find("Bună ziua, Ioana &lt;b&gt;&amp;,") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(html, html.find("Clinica &lt;Test&gt; &amp; Co") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(html, html.find("<b>") == std::string::npos);

        // The outbox row says so, and its provider id is the Message-ID that arrived.
        auto rows = settled(c, appointmentWhere(id, "appointment.booked"), 1);
        auto row = rows.front();
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), row->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("ro"), row->getValue<std::string>("language"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), row->getValue<Poco::Int64>("attempts"));
        const auto messageId = m->getValue<std::string>("message_id");
        CPPUNIT_ASSERT_EQUAL(row->getValue<std::string>("provider_id"), messageId);
        CPPUNIT_ASSERT_EQUAL(std::string("<outbox." + str(row->getValue<Poco::Int64>("id")) + "."),
            messageId.substr(0, 8 + str(row->getValue<Poco::Int64>("id")).size() + 1));
        CPPUNIT_ASSERT(messageId.find("@clinica.test>") != std::string::npos);
    }

    void anEnglishPatientHearsInEnglishAndOfTheCancellation()
    {
        auto& c = mailClinic();
        const auto patient = newPatient(c, "John", "en", "john@patients.test");
        const auto id = book(c, world().practice, patient, "2027-01-12T15:30:00+02:00");
        world().sink->await("john@patients.test", 1, kPatienceSeconds, &c);
        auto r = c.client().post(
            "/api/v1/appointments/" + str(id) + "/cancel", R"({"reason":"travelling"})", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);

        auto mail = world().sink->await("john@patients.test", 2, kPatienceSeconds, &c);
        CPPUNIT_ASSERT_EQUAL(std::string("Your appointment on 2027-01-12 at 15:30 is booked"),
            mail[0]->getValue<std::string>("subject"));
        CPPUNIT_ASSERT_EQUAL(std::string("Your appointment on 2027-01-12 at 15:30 is cancelled"),
            mail[1]->getValue<std::string>("subject"));
        CPPUNIT_ASSERT(
            mail[0]->getValue<std::string>("message_id") != mail[1]->getValue<std::string>("message_id"));
    }

    void aReminderOfACancelledAppointmentIsNeverSent()
    {
        auto& c = mailClinic();
        const auto patient = newPatient(c, "Maria", "ro", "maria@pacienti.test");
        const auto id = book(c, world().practice, patient, "2027-01-13T09:00:00+02:00");
        world().sink->await("maria@pacienti.test", 1, kPatienceSeconds, &c);
        auto r = c.client().post("/api/v1/appointments/" + str(id) + "/cancel", "{}", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        world().sink->await("maria@pacienti.test", 2, kPatienceSeconds, &c); // booked, cancelled

        makeRemindersDue(c, id, 0);
        auto rows = settled(c, appointmentWhere(id, "appointment.reminder"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("the appointment was cancelled"), rows.front()->getValue<std::string>("last_error"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(2), world().sink->to("maria@pacienti.test").size());
    }

    void aRescheduledAppointmentIsRemindedOfItsNewTimeOnly()
    {
        auto& c = mailClinic();
        const auto patient = newPatient(c, "Elena", "ro", "elena@pacienti.test");
        const auto id = book(c, world().practice, patient, "2027-01-14T09:00:00+02:00");
        world().sink->await("elena@pacienti.test", 1, kPatienceSeconds, &c);
        auto r = c.client().post("/api/v1/appointments/" + str(id) + "/reschedule",
            R"({"start":"2027-01-14T11:30:00+02:00"})", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto notices = world().sink->await("elena@pacienti.test", 2, kPatienceSeconds, &c);
        CPPUNIT_ASSERT_EQUAL(std::string("Programarea a fost mutată pe 14.01.2027, ora 11:30"),
            notices[1]->getValue<std::string>("subject"));

        // The reminder queued for the old time finds the appointment moved.
        makeRemindersDue(c, id, 0);
        auto old = settled(c, appointmentWhere(id, "appointment.reminder"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), old.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(
            std::string("the appointment was moved"), old.front()->getValue<std::string>("last_error"));

        // The one of the new time goes out.
        makeRemindersDue(c, id, 1);
        auto mail = world().sink->await("elena@pacienti.test", 3, kPatienceSeconds, &c);
        CPPUNIT_ASSERT_EQUAL(std::string("Reamintire: programarea din 14.01.2027, ora 11:30"),
            mail[2]->getValue<std::string>("subject"));
    }

    void aPatientWithoutAddressIsSkippedWithTheReasonAndStillGetsInApp()
    {
        auto& c = mailClinic();
        // The fixture's patient account: a record without an e-mail address.
        const auto id = book(c, world().practice, c.patient(), "2027-01-15T10:00:00+02:00");
        auto rows = settled(c, appointmentWhere(id, "appointment.booked"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("the patient has no e-mail address"),
            rows.front()->getValue<std::string>("last_error"));

        auto inbox = c.client().get("/api/v1/notifications", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(inbox.body, 200, inbox.status);
        auto items = inbox.json()->getArray("items");
        bool found = false;
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto n = items->getObject(static_cast<unsigned>(i));
            if (n->getValue<std::string>("kind") == "appointment.booked"
                && n->getValue<std::string>("body").find("nr. " + str(id)) != std::string::npos)
                found = true;
        }
        CPPUNIT_ASSERT_MESSAGE(inbox.body, found);
    }

    void aTransientRefusalIsRetriedAndAPermanentOneFails()
    {
        // A server of its own that answers the first message 451.
        SmtpSink::Options so;
        so.rejectFirst = 1;
        so.rejectCode = "451";
        SmtpSink sink(so);
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,notifications");
        o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
        o.daemon.config["rules.dir"] = world().rules->path();
        o.daemon.config["notifications.backoff_seconds"] = "0.2";
        useSmtp(o.daemon, sink);
        o.accountPrefix = "retry";
        o.roles = {};
        ClinicFixture c(o);
        const auto practice = newPractice(c);
        const auto patient = newPatient(c, "Dan", "en", "dan@patients.test");
        const auto id = book(c, practice, patient, "2027-01-11T10:00:00+02:00");
        auto mail = sink.await("dan@patients.test", 1, kPatienceSeconds, &c);
        auto rows = settled(c, appointmentWhere(id, "appointment.booked"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), rows.front()->getValue<Poco::Int64>("attempts"));
        CPPUNIT_ASSERT_EQUAL(rows.front()->getValue<std::string>("provider_id"),
            mail.front()->getValue<std::string>("message_id"));

        // 550: failed at once, with the server's answer.
        const auto nobody = newPatient(c, "Nobody", "en", "reject-nobody@patients.test");
        const auto second = book(c, practice, nobody, "2027-01-11T11:00:00+02:00");
        auto refused = settled(c, appointmentWhere(second, "appointment.booked"), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), refused.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), refused.front()->getValue<Poco::Int64>("attempts"));
        const auto error = refused.front()->getValue<std::string>("last_error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("550") != std::string::npos);

        // An admin's retry sends it again (and it fails again, for the same reason).
        const auto outboxId = refused.front()->getValue<Poco::Int64>("id");
        auto retry = c.client().post("/api/v1/outbox/" + str(outboxId) + "/retry", "", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(retry.body, 200, retry.status);
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), retry.json()->getValue<std::string>("status"));
        CPPUNIT_ASSERT(pollUntil([&] {
            return c.sql("SELECT status FROM notifications_outbox WHERE id = " + str(outboxId)) == "failed";
        }));
        // A sent one is not retried.
        auto again = c.client().post(
            "/api/v1/outbox/" + str(rows.front()->getValue<Poco::Int64>("id")) + "/retry", "", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL(409, again.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sink.to("dan@patients.test").size());
    }

    void startTlsAndAuthCarryTheMessage()
    {
        SmtpSink::Options so;
        so.starttls = true;
        so.auth = "clinic:s3cret";
        SmtpSink sink(so);
        TempDir secrets;
        writeFile(secrets.file("smtp-password"), "s3cret\n");
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,notifications");
        o.daemon.config["clock.start"] = "2027-01-01T00:00:00Z";
        o.daemon.config["rules.dir"] = world().rules->path();
        useSmtp(o.daemon, sink);
        o.daemon.config["notifications.smtp.starttls"] = "required";
        o.daemon.config["notifications.smtp.ca_file"] = sink.cert();
        o.daemon.config["notifications.smtp.user"] = "clinic";
        o.daemon.config["notifications.smtp.password_file"] = secrets.file("smtp-password");
        o.accountPrefix = "tls";
        o.roles = {};
        ClinicFixture c(o);
        const auto practice = newPractice(c);
        const auto patient = newPatient(c, "Ștefan", "ro", "stefan@pacienti.test");
        const auto id = book(c, practice, patient, "2027-01-11T10:00:00+02:00");
        auto mail = sink.await("stefan@pacienti.test", 1, kPatienceSeconds, &c);
        CPPUNIT_ASSERT(mail.front()->getValue<bool>("tls"));
        CPPUNIT_ASSERT_EQUAL(std::string("Programarea din 11.01.2027, ora 10:00, este înregistrată"),
            mail.front()->getValue<std::string>("subject"));
        CPPUNIT_ASSERT(
            mail.front()->getValue<std::string>("text").find("Bună ziua, Ștefan") != std::string::npos);
        auto rows = settled(c, appointmentWhere(id, "appointment.booked"), 1);
        CPPUNIT_ASSERT_EQUAL(rows.front()->getValue<std::string>("provider_id"),
            mail.front()->getValue<std::string>("message_id"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotificationsMailTest);
