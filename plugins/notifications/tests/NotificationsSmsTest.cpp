// SMS through a local HTTP stand-in of a gateway: the request it gets, the
// segment count, retries on 5xx and on a hang, failure on 4xx; the webhook:
// a bad signature changes nothing, "DA" confirms and "NU" cancels (with
// cancel_policy); the inbox and preferences routes and their bad input.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "NotificationsFixture.h"

using namespace nt;

namespace {

const std::string kSecret = "webhook-secret-0123456789";

struct SmsWorld {
    std::unique_ptr<TempDir> files; ///< rules.dir and the secrets
    std::unique_ptr<SmsStandIn> gateway;
    std::unique_ptr<ClinicFixture> clinic;
    Practice practice;
};

SmsWorld& world()
{
    static SmsWorld w;
    if (w.clinic)
        return w;
    w.files = std::make_unique<TempDir>();
    Poco::File(w.files->file("rules")).createDirectories();
    // Reminders by SMS 3 h before; a patient's cancellation costs 50.00.
    writeFile(w.files->file("rules/site.lua"),
        "function reminders(ctx) return {{offset_minutes = 180, channel = \"sms\"}} end\n"
        "function cancel_policy(ctx) return {allowed = true, fee_minor = 5000} end\n");
    writeFile(w.files->file("sms-auth"), "Authorization: Bearer t0ken\n");
    writeFile(w.files->file("webhook-secret"), kSecret + "\n");
    w.gateway = std::make_unique<SmsStandIn>();
    ClinicFixture::Options o;
    o.daemon = clinicDaemonOptions("records,scheduling,notifications");
    // 12:00 in Bucharest: outside the SMS quiet hours.
    o.daemon.config["clock.start"] = "2027-01-01T10:00:00Z";
    o.daemon.config["rules.dir"] = w.files->file("rules");
    o.daemon.config["notifications.sms.url"] = w.gateway->url();
    o.daemon.config["notifications.sms.auth_header_file"] = w.files->file("sms-auth");
    o.daemon.config["notifications.sms.webhook_secret_file"] = w.files->file("webhook-secret");
    o.daemon.config["notifications.sms.timeout_seconds"] = "1";
    o.daemon.config["notifications.backoff_seconds"] = "0.2";
    o.accountPrefix = "sms";
    o.roles = {"patient", "receptionist"};
    w.clinic = std::make_unique<ClinicFixture>(o);
    w.practice = newPractice(*w.clinic);
    return w;
}

ClinicFixture& smsClinic()
{
    return *world().clinic;
}

std::string signature(const std::string& body, const std::string& secret = kSecret)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    static const char* hex = "0123456789abcdef";
    std::string out = "sha256=";
    for (unsigned i = 0; i < length; ++i) {
        out += hex[mac[i] >> 4];
        out += hex[mac[i] & 15];
    }
    return out;
}

HttpResult webhook(const std::string& body, const std::string& sig)
{
    return smsClinic().client().post("/api/v1/notifications/sms/webhook", body, {{"X-Signature", sig}});
}

/// Books for a new patient and makes the SMS reminder due; the appointment id.
std::int64_t remindedBySms(
    const std::string& first, const std::string& language, const std::string& phone, const std::string& start)
{
    auto& c = smsClinic();
    const auto patient = newPatient(c, first, language, "", phone);
    const auto id = book(c, world().practice, patient, start);
    makeRemindersDue(c, id, 0);
    return id;
}

std::string smsWhere(std::int64_t id)
{
    return "appointment_id = " + str(id) + " AND kind = 'appointment.reminder' AND channel = 'sms'";
}

std::string status(std::int64_t appointment)
{
    auto r = smsClinic().client().get("/api/v1/appointments/" + str(appointment), smsClinic().as("admin"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    return r.json()->getValue<std::string>("status");
}

} // namespace

class NotificationsSmsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NotificationsSmsTest);
    CPPUNIT_TEST(anSmsReminderReachesTheGatewayWithItsSegmentsCounted);
    CPPUNIT_TEST(fiveHundredsAndHangsAreRetriedAndFourHundredsFail);
    CPPUNIT_TEST(aBadSignatureIsRefusedAndChangesNothing);
    CPPUNIT_TEST(aDaReplyConfirmsAndANuReplyCancelsUnderTheCancelPolicy);
    CPPUNIT_TEST(theInboxIsTheCallersOwnAndBadInputChangesNothing);
    CPPUNIT_TEST(anSmsDueInTheQuietHoursWaitsForTheMorning);
    CPPUNIT_TEST(quietHoursAreTheLocationsAcrossItsDaylightSavingChange);
    CPPUNIT_TEST_SUITE_END();

public:
    void anSmsReminderReachesTheGatewayWithItsSegmentsCounted()
    {
        auto& c = smsClinic();
        const auto ro = remindedBySms("Ana", "ro", "+40 711 000 101", "2027-01-11T10:00:00+02:00");
        const auto en = remindedBySms("Ann", "en", "+40 711 000 102", "2027-01-11T10:30:00+02:00");
        auto roRows = settled(c, smsWhere(ro), 1);
        auto enRows = settled(c, smsWhere(en), 1);

        auto sent = world().gateway->to("+40711000101");
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sent.size());
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer t0ken"),
            sent.front()->getObject("headers")->getValue<std::string>("authorization"));
        Poco::JSON::Parser parser;
        auto body
            = parser.parse(sent.front()->getValue<std::string>("body")).extract<Poco::JSON::Object::Ptr>();
        const auto text = body->getValue<std::string>("text");
        CPPUNIT_ASSERT_MESSAGE(text, text.find("Reamintire: programare în 11.01.2027, ora 10:00") == 0);

        auto row = roRows.front();
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), row->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("+40711000101"), row->getValue<std::string>("recipient"));
        CPPUNIT_ASSERT(row->getValue<std::string>("provider_id").rfind("sms-", 0) == 0);
        // Diacritics force UCS-2: over 70 characters is two parts. The English
        // text, as long, fits one GSM-7 part.
        CPPUNIT_ASSERT(text.size() > 80);
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), row->getValue<Poco::Int64>("segments"));
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), enRows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), enRows.front()->getValue<Poco::Int64>("segments"));
        CPPUNIT_ASSERT(enRows.front()->getValue<std::string>("text").size() > 70);
    }

    void fiveHundredsAndHangsAreRetriedAndFourHundredsFail()
    {
        auto& c = smsClinic();
        world().gateway->setMode("5xx 2");
        const auto busy = remindedBySms("Bogdan", "ro", "+40 711 000 201", "2027-01-12T10:00:00+02:00");
        auto rows = settled(c, smsWhere(busy), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(3), rows.front()->getValue<Poco::Int64>("attempts"));
        CPPUNIT_ASSERT_EQUAL(std::size_t(3), world().gateway->to("+40711000201").size());

        world().gateway->setMode("hang 1");
        const auto slow = remindedBySms("Carmen", "ro", "+40 711 000 202", "2027-01-12T10:30:00+02:00");
        rows = settled(c, smsWhere(slow), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(2), rows.front()->getValue<Poco::Int64>("attempts"));

        world().gateway->setMode("4xx");
        const auto bad = remindedBySms("Dorin", "ro", "+40 711 000 203", "2027-01-12T11:00:00+02:00");
        rows = settled(c, smsWhere(bad), 1);
        world().gateway->setMode("ok");
        CPPUNIT_ASSERT_EQUAL(std::string("failed"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(1), rows.front()->getValue<Poco::Int64>("attempts"));
        const auto error = rows.front()->getValue<std::string>("last_error");
        CPPUNIT_ASSERT_MESSAGE(error, error.find("400") != std::string::npos);
    }

    void aBadSignatureIsRefusedAndChangesNothing()
    {
        auto& c = smsClinic();
        const auto id = remindedBySms("Emil", "ro", "+40 711 000 301", "2027-01-13T10:00:00+02:00");
        settled(c, smsWhere(id), 1);
        const long replies = c.count("notifications_replies");
        const std::string body = R"({"type":"inbound","from":"+40711000301","text":"NU"})";
        for (const std::string& sig : {std::string(), std::string("sha256=00"),
                 signature(body, "another-secret"), signature(body + " ")}) {
            auto r = webhook(body, sig);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(sig, 401, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string("UNAUTHENTICATED"), r.errorCode());
        }
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), status(id));
        CPPUNIT_ASSERT_EQUAL(replies, c.count("notifications_replies"));

        // Signed but malformed: 400, still nothing.
        const std::string broken = "{\"type\":";
        CPPUNIT_ASSERT_EQUAL(400, webhook(broken, signature(broken)).status);
        CPPUNIT_ASSERT_EQUAL(replies, c.count("notifications_replies"));
        // Signed, well-formed, of no known type: 422, still nothing.
        const std::string unknown = R"({"type":"receipt","from":"+40711000301","text":"NU"})";
        CPPUNIT_ASSERT_EQUAL(422, webhook(unknown, signature(unknown)).status);
        CPPUNIT_ASSERT_EQUAL(replies, c.count("notifications_replies"));
        CPPUNIT_ASSERT_EQUAL(std::string("pending"), status(id));

        // A signed delivery report lands on the message with that provider id.
        const auto provider = settled(c, smsWhere(id), 1).front()->getValue<std::string>("provider_id");
        const std::string report
            = R"({"type":"delivery","provider_id":")" + provider + R"(","status":"delivered"})";
        auto r = webhook(report, signature(report));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT(r.json()->getValue<bool>("matched"));
    }

    void aDaReplyConfirmsAndANuReplyCancelsUnderTheCancelPolicy()
    {
        auto& c = smsClinic();
        const auto first = remindedBySms("Florin", "ro", "+40 711 000 401", "2027-01-14T10:00:00+02:00");
        settled(c, smsWhere(first), 1);
        const std::string da = R"({"type":"inbound","from":"+40711000401","text":"Da"})";
        auto r = webhook(da, signature(da));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("confirmed"), r.json()->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(first), r.json()->getValue<Poco::Int64>("appointment_id"));
        CPPUNIT_ASSERT_EQUAL(std::string("confirmed"), status(first));

        const auto second = remindedBySms("Gina", "ro", "+40 711 000 402", "2027-01-14T10:30:00+02:00");
        settled(c, smsWhere(second), 1);
        const std::string nu = R"({"type":"inbound","from":"+40 711 000 402","text":"NU."})";
        r = webhook(nu, signature(nu));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), r.json()->getValue<std::string>("action"));
        auto cancelled = c.client().get("/api/v1/appointments/" + str(second), c.as("admin")).json();
        CPPUNIT_ASSERT_EQUAL(std::string("cancelled"), cancelled->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(Poco::Int64(5000), cancelled->getValue<Poco::Int64>("fee_minor"));
        // Only that one: the other patient's appointment stays confirmed.
        CPPUNIT_ASSERT_EQUAL(std::string("confirmed"), status(first));

        // Anything else is kept for reception.
        const std::string other = R"({"type":"inbound","from":"+40711000401","text":"Pot veni mai tarziu?"})";
        r = webhook(other, signature(other));
        CPPUNIT_ASSERT_EQUAL(std::string("kept"), r.json()->getValue<std::string>("action"));
        CPPUNIT_ASSERT_EQUAL(std::string("confirmed"), status(first));
        auto replies = c.client().get("/api/v1/notifications/sms/replies?limit=500", c.as("receptionist"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(replies.body, 200, replies.status);
        CPPUNIT_ASSERT(replies.body.find("Pot veni mai tarziu?") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(
            403, c.client().get("/api/v1/notifications/sms/replies", c.as("patient")).status);
    }

    void theInboxIsTheCallersOwnAndBadInputChangesNothing()
    {
        auto& c = smsClinic();
        // The fixture's patient gets a booking notice in the app.
        const auto id = book(c, world().practice, c.patient(), "2027-01-15T10:00:00+02:00");
        settled(c, "appointment_id = " + str(id) + " AND channel = 'in_app'", 1);
        auto inbox = c.client().get("/api/v1/notifications", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(inbox.body, 200, inbox.status);
        auto items = inbox.json()->getArray("items");
        CPPUNIT_ASSERT(items->size() >= 1);
        const auto mine = items->getObject(0)->getValue<Poco::Int64>("id");
        CPPUNIT_ASSERT(items->getObject(0)->isNull("read_at"));

        // Someone else's notification does not exist for the receptionist.
        auto theirs
            = c.client().post("/api/v1/notifications/" + str(mine) + "/read", "", c.as("receptionist"));
        CPPUNIT_ASSERT_EQUAL(404, theirs.status);
        CPPUNIT_ASSERT_EQUAL(
            404, c.client().post("/api/v1/notifications/999999/read", "", c.as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(
            404, c.client().post("/api/v1/notifications/abc/read", "", c.as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(1L, c.count("notifications_inbox", "id = " + str(mine) + " AND read_at = 0"));

        auto read = c.client().post("/api/v1/notifications/" + str(mine) + "/read", "", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(read.body, 200, read.status);
        CPPUNIT_ASSERT(!read.json()->isNull("read_at"));
        auto all = c.client().post("/api/v1/notifications/read-all", "", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(all.body, 200, all.status);
        CPPUNIT_ASSERT_EQUAL(
            0L, c.count("notifications_inbox", "patient_id = " + str(c.patient()) + " AND read_at = 0"));

        // Preferences: defaults, a change, and bad input refused with nothing changed.
        auto prefs = c.client().get("/api/v1/notification-preferences", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL(200, prefs.status);
        CPPUNIT_ASSERT(prefs.json()->getValue<bool>("email"));
        CPPUNIT_ASSERT(prefs.json()->isNull("language"));
        auto put = c.client().request(
            "PUT", "/api/v1/notification-preferences", R"({"sms":false,"language":"en"})", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(put.body, 200, put.status);
        CPPUNIT_ASSERT(!put.json()->getValue<bool>("sms"));
        CPPUNIT_ASSERT_EQUAL(std::string("en"), put.json()->getValue<std::string>("language"));
        auto malformed
            = c.client().request("PUT", "/api/v1/notification-preferences", "{\"sms\":", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL(400, malformed.status);
        auto french = c.client().request(
            "PUT", "/api/v1/notification-preferences", R"({"language":"fr","email":false})", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL(422, french.status);
        auto notBool = c.client().request(
            "PUT", "/api/v1/notification-preferences", R"({"email":"no"})", c.as("patient"));
        CPPUNIT_ASSERT_EQUAL(422, notBool.status);
        auto now = c.client().get("/api/v1/notification-preferences", c.as("patient")).json();
        CPPUNIT_ASSERT(now->getValue<bool>("email"));
        CPPUNIT_ASSERT(!now->getValue<bool>("sms"));
        CPPUNIT_ASSERT_EQUAL(std::string("en"), now->getValue<std::string>("language"));

        // The SMS preference holds: the patient's next SMS reminder is skipped, with the reason.
        const auto next = book(c, world().practice, c.patient(), "2027-01-15T11:00:00+02:00");
        makeRemindersDue(c, next, 0);
        auto rows = settled(c, smsWhere(next), 1);
        CPPUNIT_ASSERT_EQUAL(std::string("skipped"), rows.front()->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("SMS is turned off in the patient's preferences"),
            rows.front()->getValue<std::string>("last_error"));

        // The outbox: admin only, a bad status is 422, an unknown id 404.
        CPPUNIT_ASSERT_EQUAL(403, c.client().get("/api/v1/outbox", c.as("patient")).status);
        CPPUNIT_ASSERT_EQUAL(422, c.client().get("/api/v1/outbox?status=lost", c.as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.client().post("/api/v1/outbox/999999/retry", "", c.as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.client().get("/api/v1/outbox/999999", c.as("admin")).status);
        CPPUNIT_ASSERT_EQUAL(404, c.client().post("/api/v1/outbox/abc/retry", "", c.as("admin")).status);
        auto sent = c.client().get("/api/v1/outbox?status=sent&limit=1", c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(sent.body, 200, sent.status);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), sent.json()->getArray("items")->size());
        CPPUNIT_ASSERT(!sent.json()->isNull("next_cursor"));
        auto page2 = c.client().get(
            "/api/v1/outbox?status=sent&limit=1&cursor=" + sent.json()->getValue<std::string>("next_cursor"),
            c.as("admin"));
        CPPUNIT_ASSERT_EQUAL(200, page2.status);
        CPPUNIT_ASSERT(page2.json()->getArray("items")->getObject(0)->getValue<Poco::Int64>("id")
            > sent.json()->getArray("items")->getObject(0)->getValue<Poco::Int64>("id"));
    }

    void anSmsDueInTheQuietHoursWaitsForTheMorning()
    {
        // 22:30 in Bucharest, inside the default 21:00-08:00.
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,notifications");
        o.daemon.config["clock.start"] = "2027-01-01T20:30:00Z";
        o.daemon.config["rules.dir"] = world().files->file("rules");
        o.daemon.config["notifications.sms.url"] = world().gateway->url();
        o.accountPrefix = "quiet";
        o.roles = {};
        ClinicFixture c(o);
        const auto practice = newPractice(c);
        const auto patient = newPatient(c, "Ilie", "ro", "", "+40 711 000 501");
        const auto id = book(c, practice, patient, "2027-01-11T10:00:00+02:00");
        makeRemindersDue(c, id, 0);
        CPPUNIT_ASSERT(pollUntil([&] { return c.count("notifications_outbox", smsWhere(id)) == 1; }));
        auto row = outbox(c, smsWhere(id)).front();
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), row->getValue<std::string>("status"));
        // 08:00 the next morning, local time.
        CPPUNIT_ASSERT_EQUAL(std::string("2027-01-02T06:00:00Z"), row->getValue<std::string>("due_at"));
        CPPUNIT_ASSERT(world().gateway->to("+40711000501").empty());
    }

    void quietHoursAreTheLocationsAcrossItsDaylightSavingChange()
    {
        // Sunday 14 March 2027, 01:30 in New York (EST, UTC-5), the night its
        // clocks go forward at 02:00: 08:30 in Bucharest, notifications.timezone,
        // where it is not quiet. The location's zone decides.
        ClinicFixture::Options o;
        o.daemon = clinicDaemonOptions("records,scheduling,notifications");
        o.daemon.config["clock.start"] = "2027-03-14T06:30:00Z";
        o.daemon.config["rules.dir"] = world().files->file("rules");
        o.daemon.config["notifications.sms.url"] = world().gateway->url();
        o.accountPrefix = "dst";
        o.roles = {};
        ClinicFixture c(o);
        Practice p;
        auto location = c.client().post("/api/v1/locations",
            R"({"name":"New York","address":"1 Main St","city":"New York","county":"New York",)"
            R"("timezone":"America/New_York","opening_hours":[]})",
            c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(location.body, 201, location.status);
        p.location = location.json()->getValue<Poco::Int64>("id");
        p.service = c.newService(30);
        p.doctor = c.newDoctor(p.location, {p.service});
        auto hours = c.client().request("PUT", "/api/v1/doctors/" + str(p.doctor) + "/hours",
            R"([{"weekday":7,"start":"08:00","end":"20:00","location_id":)" + str(p.location)
                + R"(},{"weekday":1,"start":"08:00","end":"20:00","location_id":)" + str(p.location) + "}]",
            c.as("admin"));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(hours.body, 200, hours.status);

        // Monday 10:00 EDT: its 3-hour reminder, made due now, waits for
        // 08:00 local on Sunday, which is EDT by then (12:00Z, not 13:00Z).
        auto booked = [&](const std::string& first, const std::string& phone, const std::string& start) {
            auto r = c.client().post("/api/v1/appointments",
                R"({"patient_id":)" + str(newPatient(c, first, "en", "", phone)) + R"(,"doctor_id":)"
                    + str(p.doctor) + R"(,"service_id":)" + str(p.service) + R"(,"start":")" + start + "\"}",
                c.as("admin"));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
            return r.json()->getValue<Poco::Int64>("id");
        };
        const auto monday = booked("Mona", "+1 212 555 0101", "2027-03-15T10:00:00-04:00");
        makeRemindersDue(c, monday, 0);
        // Sunday 08:30 EDT: held until 08:00 it would come 30 minutes before
        // the visit, under the 60-minute margin, so it goes at once.
        const auto sunday = booked("Sunny", "+1 212 555 0102", "2027-03-14T08:30:00-04:00");
        makeRemindersDue(c, sunday, 0);

        CPPUNIT_ASSERT(pollUntil([&] { return c.count("notifications_outbox", smsWhere(monday)) == 1; }));
        auto held = outbox(c, smsWhere(monday)).front();
        CPPUNIT_ASSERT_EQUAL(std::string("queued"), held->getValue<std::string>("status"));
        CPPUNIT_ASSERT_EQUAL(std::string("2027-03-14T12:00:00Z"), held->getValue<std::string>("due_at"));
        // The message's time is the location's too.
        const auto heldText = held->getValue<std::string>("text");
        CPPUNIT_ASSERT_MESSAGE(heldText, heldText.find("2027-03-15 at 10:00") != std::string::npos);

        auto sent = settled(c, smsWhere(sunday), 1).front();
        CPPUNIT_ASSERT_EQUAL(std::string("sent"), sent->getValue<std::string>("status"));
        const auto sentText = sent->getValue<std::string>("text");
        CPPUNIT_ASSERT_MESSAGE(sentText, sentText.find("2027-03-14 at 08:30") != std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::size_t(1), world().gateway->to("+12125550102").size());
        CPPUNIT_ASSERT(world().gateway->to("+12125550101").empty());
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NotificationsSmsTest);
