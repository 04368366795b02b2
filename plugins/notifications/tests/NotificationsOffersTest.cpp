// The notices other plugins queue besides appointments, through the API to a
// real SMTP server: scheduling's waitlist offer of a freed slot and the
// prescriptions plugin's notice of an issued prescription, each in the
// patient's language, with every field HTML-escaped in the HTML part.

#include "NotificationsFixture.h"

using namespace nt;

namespace {

const std::string kDoctorName = R"(Dr. Ana "Pop" <Ionescu> & Co)";

struct OffersWorld {
    std::unique_ptr<TempDir> rules; ///< an empty rules.dir
    std::unique_ptr<SmtpSink> sink;
    std::unique_ptr<ClinicFixture> clinic;
    Practice practice;
};

OffersWorld& world()
{
    static OffersWorld w;
    if (w.clinic)
        return w;
    w.rules = std::make_unique<TempDir>();
    w.sink = std::make_unique<SmtpSink>();
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,prescriptions,notifications");
    o.daemon.config["clock.start"] = "2027-03-01T09:00:00Z";
    o.daemon.config["rules.dir"] = w.rules->path();
    o.daemon.config["notifications.clinic_name"] = "Clinica <Test> & Co";
    useSmtp(o.daemon, *w.sink);
    o.accountPrefix = "offers";
    o.roles = {"doctor"};
    o.doctorId = 1; // the doctor made below, who prescribes
    w.clinic = std::make_unique<ClinicFixture>(o);
    auto& c = *w.clinic;
    w.practice.location = c.newLocation("Europe/Bucharest");
    w.practice.service = c.newService(30);
    // The name needs JSON escaping, which the fixture's newDoctor does not do.
    Poco::JSON::Object::Ptr doctor = new Poco::JSON::Object;
    doctor->set("name", kDoctorName);
    doctor->set("specialty", "family medicine");
    doctor->set("location_id", w.practice.location);
    Poco::JSON::Array::Ptr services = new Poco::JSON::Array;
    services->add(w.practice.service);
    doctor->set("service_ids", services);
    std::ostringstream body;
    doctor->stringify(body);
    w.practice.doctor = createdId(c.client().post("/api/v1/doctors", body.str(), c.as("admin")));
    CPPUNIT_ASSERT_EQUAL(std::int64_t(1), w.practice.doctor);
    std::string hours;
    for (int d = 1; d <= 5; ++d)
        hours += std::string(hours.empty() ? "[" : ",") + R"({"weekday":)" + str(d)
            + R"(,"start":"08:00","end":"20:00","location_id":)" + str(w.practice.location) + "}";
    auto r = c.client().request(
        "PUT", "/api/v1/doctors/" + str(w.practice.doctor) + "/hours", hours + "]", c.as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return w;
}

ClinicFixture& offersClinic()
{
    return *world().clinic;
}

/// The one message to address, its outbox row (email) checked to match it.
Poco::JSON::Object::Ptr onlyMailTo(const std::string& address, const std::string& kind)
{
    auto& c = offersClinic();
    auto m = world().sink->await(address, 1, kPatienceSeconds, &c).front();
    auto rows
        = settled(c, "recipient = '" + address + "' AND kind = '" + kind + "' AND channel = 'email'", 1);
    CPPUNIT_ASSERT_EQUAL(std::string("sent"), rows.front()->getValue<std::string>("status"));
    // The Message-ID the server saw is the one the outbox kept.
    CPPUNIT_ASSERT_EQUAL(
        rows.front()->getValue<std::string>("provider_id"), m->getValue<std::string>("message_id"));
    return m;
}

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

class NotificationsOffersTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotificationsOffersTest);
    CPPUNIT_TEST(aFreedSlotIsOfferedByEmailInTheWaitingPatientsLanguage);
    CPPUNIT_TEST(anIssuedPrescriptionIsToldByEmailAndInTheApp);
    CPPUNIT_TEST_SUITE_END();

public:
    void aFreedSlotIsOfferedByEmailInTheWaitingPatientsLanguage()
    {
        auto& c = offersClinic();
        const auto& p = world().practice;
        const auto holder = newPatient(c, "Holder", "en", "holder@pacienti.test");
        const auto taken = book(c, p, holder, "2027-03-08T10:00:00+02:00");
        const auto waiting = newPatient(c, "Radu <i>&", "ro", "radu@pacienti.test");
        auto join = c.client().post("/api/v1/waitlist",
            R"({"patient_id":)" + str(waiting) + R"(,"doctor_id":)" + str(p.doctor) + R"(,"service_id":)"
                + str(p.service)
                + R"(,"earliest":"2027-03-08T00:00:00+02:00","latest":"2027-03-09T00:00:00+02:00"})",
            c.as("admin"));
        CPPUNIT_ASSERT(createdId(join) > 0);
        CPPUNIT_ASSERT(c.count("notifications_outbox", "kind = 'waitlist.offer'") == 0);

        auto cancel = c.client().post(
            "/api/v1/appointments/" + str(taken) + "/cancel", R"({"reason":"cannot come"})", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(cancel.body, 200, cancel.status);

        auto m = onlyMailTo("radu@pacienti.test", "waitlist.offer");
        // In Romanian, with the slot's local date and time; the subject's
        // diacritics travelled RFC 2047-encoded.
        CPPUNIT_ASSERT_EQUAL(
            std::string("S-a eliberat o oră: 08.03.2027, ora 10:00"), m->getValue<std::string>("subject"));
        const auto text = m->getValue<std::string>("text");
        const auto html = m->getValue<std::string>("html");
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "Bună ziua, Radu <i>&,"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "Clinica <Test> & Co"));
        CPPUNIT_ASSERT_MESSAGE(html, contains(html, "Bună ziua, Radu &lt;i&gt;&amp;,"));
        CPPUNIT_ASSERT_MESSAGE(html, contains(html, "Clinica &lt;Test&gt; &amp; Co"));
        CPPUNIT_ASSERT_MESSAGE(html, !contains(html, "<i>&"));
        // Once: the offer job is keyed by the waitlist entry.
        CPPUNIT_ASSERT_EQUAL(1L,
            c.count("notifications_outbox",
                "kind = 'waitlist.offer' AND channel = 'email' AND patient_id = " + str(waiting)));
        CPPUNIT_ASSERT_EQUAL(
            1L, c.count("notifications_inbox", "kind = 'waitlist.offer' AND patient_id = " + str(waiting)));
        auto offer
            = outbox(c, "kind = 'waitlist.offer' AND channel = 'email' AND patient_id = " + str(waiting));
        CPPUNIT_ASSERT_MESSAGE(offer.front()->getValue<std::string>("text"),
            contains(offer.front()->getValue<std::string>("text"), "08.03.2027, ora 10:00"));
        // The holder heard of the cancellation, in English.
        auto cancelled = world().sink->await("holder@pacienti.test", 2, kPatienceSeconds, &c);
        CPPUNIT_ASSERT_MESSAGE(cancelled.back()->getValue<std::string>("subject"),
            contains(cancelled.back()->getValue<std::string>("subject"), "cancelled"));
    }

    void anIssuedPrescriptionIsToldByEmailAndInTheApp()
    {
        auto& c = offersClinic();
        const auto en = newPatient(c, "Eve", "en", "eve@pacienti.test");
        const auto ro = newPatient(c, "Ștefan", "ro", "stefan@pacienti.test");
        auto prescribe = [&](std::int64_t patient) {
            auto r = c.client().post("/api/v1/prescriptions",
                R"({"patient_id":)" + str(patient)
                    + R"(,"items":[{"drug":"Sirop <tuse> & \"miere\"","route":"oral","dose":"5 ml",)"
                      R"("frequency":"3 times a day","duration_days":5,"quantity":1}]})",
                c.as("doctor"));
            return createdId(r);
        };
        const auto enId = prescribe(en);
        const auto roId = prescribe(ro);

        auto m = onlyMailTo("eve@pacienti.test", "prescription.issued");
        CPPUNIT_ASSERT_EQUAL(std::string("Your prescription is ready"), m->getValue<std::string>("subject"));
        auto text = m->getValue<std::string>("text");
        auto html = m->getValue<std::string>("html");
        CPPUNIT_ASSERT_MESSAGE(text,
            contains(text,
                kDoctorName + " issued your prescription (no. " + str(enId)
                    + R"(): Sirop <tuse> & "miere".)"));
        CPPUNIT_ASSERT_MESSAGE(html, contains(html, "Dr. Ana &quot;Pop&quot; &lt;Ionescu&gt; &amp; Co"));
        CPPUNIT_ASSERT_MESSAGE(html, contains(html, "Sirop &lt;tuse&gt; &amp; &quot;miere&quot;"));
        CPPUNIT_ASSERT_MESSAGE(html, !contains(html, "<tuse>") && !contains(html, "<Ionescu>"));

        m = onlyMailTo("stefan@pacienti.test", "prescription.issued");
        CPPUNIT_ASSERT_EQUAL(
            std::string("Rețeta dumneavoastră este gata"), m->getValue<std::string>("subject"));
        text = m->getValue<std::string>("text");
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "Bună ziua, Ștefan,"));
        CPPUNIT_ASSERT_MESSAGE(text, contains(text, "v-a emis rețeta (nr. " + str(roId) + ")"));

        // In the app as well, once each.
        CPPUNIT_ASSERT_EQUAL(
            1L, c.count("notifications_inbox", "kind = 'prescription.issued' AND patient_id = " + str(en)));
        CPPUNIT_ASSERT_EQUAL(
            1L, c.count("notifications_inbox", "kind = 'prescription.issued' AND patient_id = " + str(ro)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotificationsOffersTest);
