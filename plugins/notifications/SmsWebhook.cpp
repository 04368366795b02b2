// The SMS gateway's webhook: delivery reports, and patients' replies to a
// reminder. "DA", "C" or "YES" confirms the appointment the last reminder to
// that number was about, "NU", "X" or "NO" cancels it through scheduling's
// normal path; any other reply is kept for reception.

#include "SmsWebhook.h"

#include <chrono>
#include <vector>

#include <Poco/Data/Statement.h>
#include <Poco/String.h>
#include <Poco/Tuple.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "Outbox.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Roles.h"
#include "clinic/Schema.h"
#include "clinic/Time.h"
#include "clinic/scheduling/AppointmentActions.h"

using namespace Poco::Data::Keywords;
using clinic::Contract;
using clinic::HttpError;
using clinic::Request;
using clinic::Response;
using clinic::Schema;

namespace notifications {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// The reply's first word, upper-case ASCII, without trailing punctuation.
std::string keyword(const std::string& text)
{
    std::string t = Poco::trim(text);
    auto space = t.find_first_of(" \t\r\n");
    if (space != std::string::npos)
        t = t.substr(0, space);
    while (!t.empty() && (t.back() == '.' || t.back() == '!' || t.back() == ','))
        t.pop_back();
    return Poco::toUpper(t);
}

using ReplyRow
    = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, std::string, Poco::Int64>;

} // namespace

std::string normalizePhone(const std::string& phone)
{
    std::string out;
    for (char c : phone)
        if ((c >= '0' && c <= '9') || (c == '+' && out.empty()))
            out += c;
    return out;
}

bool validSignature(const std::string& secret, const std::string& body, const std::string& signature)
{
    if (secret.empty() || signature.rfind("sha256=", 0) != 0)
        return false;
    const std::string hex = signature.substr(7);
    if (hex.size() != 64)
        return false;
    unsigned char given[32];
    for (std::size_t i = 0; i < 32; ++i) {
        int hi = hexValue(hex[2 * i]), lo = hexValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        given[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    unsigned char expected[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), expected, &length)
        || length != 32)
        return false;
    return CRYPTO_memcmp(given, expected, 32) == 0;
}

void addSmsWebhook(clinic::Host& host, const std::string& secret)
{
    host.router().add({"POST", "/api/v1/notifications/sms/webhook", clinic::Access::open(),
        [&host, secret](Request& req) {
            // Checked before the body is even parsed: an unsigned request changes nothing.
            if (!validSignature(secret, req.body, req.header("X-Signature").value_or("")))
                throw HttpError(401, "UNAUTHENTICATED", "bad or missing X-Signature");
            auto body = req.jsonObject();
            clinic::FieldReader in(body);
            const std::string type = in.requiredString("type", 1, 20);
            const std::int64_t nowMs
                = std::chrono::duration_cast<std::chrono::milliseconds>(host.clock().now().time_since_epoch())
                      .count();
            auto out = clinic::makeObject();
            if (type == "delivery") {
                const std::string providerId = in.requiredString("provider_id", 1, 191);
                const std::string status = in.requiredString("status", 1, 100);
                in.finish();
                out->set("matched", Outbox::recordDelivery(host.database(), providerId, status, nowMs));
                return Response::json(out);
            }
            if (type != "inbound")
                in.fail("type", "must be delivery or inbound");
            const std::string from = normalizePhone(in.requiredString("from", 1, 40));
            const std::string text = in.requiredString("text", 1, 1600);
            if (from.empty())
                in.fail("from", "is not a phone number");
            in.finish();

            const std::string word = keyword(text);
            std::string action = "kept", outcome = "kept for reception";
            Poco::Int64 appointmentId = 0;
            const bool confirm = word == "DA" || word == "C" || word == "YES";
            const bool cancel = word == "NU" || word == "X" || word == "NO";
            if (confirm || cancel) {
                auto last = Outbox::lastSmsTo(host.database(), from);
                auto actions = host.services().find<clinic::scheduling::AppointmentActions>(
                    clinic::scheduling::kAppointmentActionsService);
                if (!last)
                    outcome = "no reminder was sent to this number";
                else if (!actions)
                    outcome = "the scheduling plugin is not available";
                else {
                    appointmentId = last->appointmentId;
                    auto r = confirm ? actions->confirmByPatient(appointmentId, "sms")
                                     : actions->cancelByPatient(appointmentId, "SMS reply: " + text, "sms");
                    action = r.done ? (confirm ? "confirmed" : "cancelled") : "refused";
                    outcome = r.done ? "appointment " + r.status : r.errorCode + ": " + r.message;
                }
            }
            std::string f = from, t = text, a = action, o = outcome.substr(0, 500);
            Poco::Int64 at = nowMs;
            host.database().transact([&](clinic::Transaction& tx) {
                tx.session()
                    << "INSERT INTO notifications_replies (phone, body, action, appointment_id, outcome,"
                       " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    use(f), use(t), use(a), use(appointmentId), use(o), use(at), now;
            });
            out->set("action", action);
            out->set(
                "appointment_id", appointmentId ? Poco::Dynamic::Var(appointmentId) : Poco::Dynamic::Var());
            out->set("outcome", outcome);
            return Response::json(out);
        },
        "notifications: the SMS gateway's delivery reports and replies (HMAC-signed)",
        Contract()
            .accepts(Schema::object()
                         .required("type", Schema::enumOf({"delivery", "inbound"}))
                         .optional("provider_id", Schema::string(1, 191))
                         .optional("status", Schema::string(1, 100))
                         .optional("from", Schema::string(1, 40))
                         .optional("text", Schema::string(1, 1600)),
                "header X-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>")
            .returns(200, "what was done",
                Schema::object()
                    .optional(
                        "matched", Schema::boolean().describe("delivery: a message has this provider id"))
                    .optional("action", Schema::enumOf({"confirmed", "cancelled", "refused", "kept"}))
                    .optional("appointment_id", Schema::id().nullable())
                    .optional("outcome", Schema::string()))});

    const auto reply = Schema::object()
                           .required("id", Schema::id())
                           .required("from", Schema::string())
                           .required("text", Schema::string())
                           .required("action", Schema::enumOf({"confirmed", "cancelled", "refused", "kept"}))
                           .required("appointment_id", Schema::id().nullable())
                           .required("outcome", Schema::string())
                           .required("received_at", Schema::dateTime());
    host.router().add({"GET", "/api/v1/notifications/sms/replies",
        clinic::Access::only(clinic::roles::frontDesk),
        [&host](Request& req) {
            const clinic::PageRequest page = clinic::readPage(req);
            Poco::Int64 after = page.cursor;
            std::vector<ReplyRow> rows;
            Poco::Data::Session s = host.database().session();
            s << "SELECT id, phone, body, action, appointment_id, outcome, created_at FROM "
                 "notifications_replies"
                 " WHERE id > ? ORDER BY id",
                use(after), into(rows), limit(page.limit + 1), now;
            host.audit().record(
                req, clinic::AuditEvent {"notifications.replies.list", "sms_reply", "", 0, "ok", ""});
            return Response::json(clinic::idCursorPage(page, rows, [](const ReplyRow& r) {
                auto o = clinic::makeObject();
                o->set("id", r.get<0>());
                o->set("from", r.get<1>());
                o->set("text", r.get<2>());
                o->set("action", r.get<3>());
                o->set("appointment_id", r.get<4>() ? Poco::Dynamic::Var(r.get<4>()) : Poco::Dynamic::Var());
                o->set("outcome", r.get<5>());
                o->set("received_at", clinic::formatRfc3339(r.get<6>() / 1000));
                return o;
            }));
        },
        "notifications: SMS replies, oldest first, for reception",
        Contract().page().returns(200, "a page of replies", clinic::listOf(reply))});
}

} // namespace notifications
