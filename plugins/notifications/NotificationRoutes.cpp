// The routes of the notifications plugin but the SMS webhook (SmsWebhook.cpp).

#include "NotificationRoutes.h"

#include <chrono>

#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

#include "Outbox.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Roles.h"
#include "clinic/Schema.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;
using clinic::Contract;
using clinic::HttpError;
using clinic::Request;
using clinic::Response;
using clinic::Schema;

namespace notifications {

namespace {

std::int64_t nowMs(clinic::Host& host)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(host.clock().now().time_since_epoch())
        .count();
}

std::string instant(std::int64_t ms)
{
    return ms > 0 ? clinic::formatRfc3339(ms / 1000) : std::string();
}

using InboxRow = Poco::Tuple<Poco::Int64, std::string, std::string, std::string, Poco::Int64, Poco::Int64>;

Poco::JSON::Object::Ptr inboxJson(const InboxRow& r)
{
    auto o = clinic::makeObject();
    o->set("id", r.get<0>());
    o->set("kind", r.get<1>());
    o->set("subject", r.get<2>());
    o->set("body", r.get<3>());
    o->set("created_at", instant(r.get<4>()));
    o->set("read_at", r.get<5>() ? Poco::Dynamic::Var(instant(r.get<5>())) : Poco::Dynamic::Var());
    return o;
}

/// Whose inbox the caller reads: a patient's account sees their record's
/// messages, any other account its own.
std::string ownerClause(const Request& req, Poco::Int64& key)
{
    if (req.caller.role == "patient" && req.caller.patientId > 0) {
        key = req.caller.patientId;
        return "patient_id = ?";
    }
    key = req.caller.userId;
    return "user_id = ?";
}

Schema inboxSchema()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("kind", Schema::string().describe("appointment.booked, appointment.reminder, ..."))
        .required("subject", Schema::string())
        .required("body", Schema::string())
        .required("created_at", Schema::dateTime())
        .required("read_at", Schema::dateTime().nullable());
}

Schema preferencesSchema()
{
    return Schema::object()
        .required("email", Schema::boolean())
        .required("sms", Schema::boolean())
        .required("in_app", Schema::boolean())
        .required("language", Schema::enumOf({"en", "ro"}).nullable().describe("null: the patient record's"));
}

Poco::JSON::Object::Ptr outboxJson(const OutboxRow& r, bool bodies)
{
    auto o = clinic::makeObject();
    o->set("id", r.id);
    o->set("kind", r.kind);
    o->set("channel", r.channel);
    o->set("recipient", r.recipient);
    o->set("language", r.language);
    o->set("subject", r.subject);
    o->set("status", r.status);
    o->set("attempts", r.attempts);
    o->set("last_error", r.lastError.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.lastError));
    o->set("provider_id", r.providerId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.providerId));
    o->set("segments", r.segments);
    o->set("patient_id", r.patientId ? Poco::Dynamic::Var(r.patientId) : Poco::Dynamic::Var());
    o->set("appointment_id", r.appointmentId ? Poco::Dynamic::Var(r.appointmentId) : Poco::Dynamic::Var());
    o->set("due_at", instant(r.dueAt));
    o->set("created_at", instant(r.createdAt));
    o->set("sent_at", r.sentAt ? Poco::Dynamic::Var(instant(r.sentAt)) : Poco::Dynamic::Var());
    if (bodies) {
        o->set("text", r.text);
        o->set("html", r.html);
    }
    return o;
}

Schema outboxSchema(bool bodies)
{
    auto s
        = Schema::object()
              .required("id", Schema::id())
              .required("kind", Schema::string())
              .required("channel", Schema::enumOf({"email", "sms", "in_app"}))
              .required("recipient", Schema::string())
              .required("language", Schema::string())
              .required("subject", Schema::string())
              .required("status", Schema::enumOf({"queued", "sending", "sent", "failed", "skipped"}))
              .required("attempts", Schema::integer())
              .required("last_error", Schema::string().nullable().describe("why it failed or was skipped"))
              .required("provider_id", Schema::string().nullable().describe("Message-ID or the gateway's id"))
              .required("segments", Schema::integer().describe("SMS parts (0 for other channels)"))
              .required("patient_id", Schema::id().nullable())
              .required("appointment_id", Schema::id().nullable())
              .required("due_at", Schema::dateTime())
              .required("created_at", Schema::dateTime())
              .required("sent_at", Schema::dateTime().nullable());
    if (bodies)
        s.required("text", Schema::string()).required("html", Schema::string());
    return s;
}

} // namespace

void addInboxRoutes(clinic::Host& host)
{
    clinic::Database& db = host.database();
    host.router().add({"GET", "/api/v1/notifications", clinic::Access::authenticated(),
        [&db](Request& req) {
            const clinic::PageRequest page = clinic::readPage(req);
            Poco::Int64 key = 0;
            const std::string owner = ownerClause(req, key);
            Poco::Int64 after = page.cursor;
            std::vector<InboxRow> rows;
            Poco::Data::Session s = db.session();
            s << "SELECT id, kind, subject, body, created_at, read_at FROM notifications_inbox WHERE " + owner
                    + " AND id > ? ORDER BY id",
                use(key), use(after), into(rows), limit(page.limit + 1), now;
            return Response::json(clinic::idCursorPage(page, rows, inboxJson));
        },
        "notifications: the caller's in-app notifications, oldest first",
        Contract().page().returns(200, "a page of notifications", clinic::listOf(inboxSchema()))});

    host.router().add({"POST", "/api/v1/notifications/{id}/read", clinic::Access::authenticated(),
        [&db, &host](Request& req) {
            Poco::Int64 id = req.idParam("id"), key = 0, at = nowMs(host);
            const std::string owner = ownerClause(req, key);
            std::vector<InboxRow> rows;
            db.transact([&](clinic::Transaction& tx) {
                rows.clear();
                tx.session() << "UPDATE notifications_inbox SET read_at = ? WHERE id = ? AND read_at = 0 AND "
                        + owner,
                    use(at), use(id), use(key), now;
                tx.session() << "SELECT id, kind, subject, body, created_at, read_at FROM notifications_inbox"
                                " WHERE id = ? AND "
                        + owner,
                    use(id), use(key), into(rows), now;
            });
            // Another user's notification does not exist for this caller.
            if (rows.empty())
                throw HttpError::notFound("no such notification");
            return Response::json(inboxJson(rows.front()));
        },
        "notifications: mark one of the caller's notifications read",
        Contract()
            .accepts(Schema::object().describe("no fields"))
            .returns(200, "the notification", inboxSchema())});

    host.router().add({"POST", "/api/v1/notifications/read-all", clinic::Access::authenticated(),
        [&db, &host](Request& req) {
            Poco::Int64 key = 0, at = nowMs(host), marked = 0;
            const std::string owner = ownerClause(req, key);
            db.transact([&](clinic::Transaction& tx) {
                Poco::Data::Statement st(tx.session());
                st << "UPDATE notifications_inbox SET read_at = ? WHERE read_at = 0 AND " + owner, use(at),
                    use(key);
                marked = static_cast<Poco::Int64>(st.execute());
            });
            auto out = clinic::makeObject();
            out->set("marked", marked);
            return Response::json(out);
        },
        "notifications: mark all the caller's notifications read",
        Contract()
            .accepts(Schema::object().describe("no fields"))
            .returns(200, "how many were unread",
                Schema::object().required(
                    "marked", Schema::integer().describe("notifications marked read")))});

    auto readPreferences = [&db](const Request& req) {
        Poco::Int64 user = req.caller.userId;
        std::vector<Poco::Tuple<int, int, int, std::string>> rows;
        Poco::Data::Session s = db.session();
        s << "SELECT email, sms, in_app, language FROM notifications_preferences WHERE user_id = ?",
            use(user), into(rows), now;
        auto o = clinic::makeObject();
        o->set("email", rows.empty() || rows.front().get<0>() != 0);
        o->set("sms", rows.empty() || rows.front().get<1>() != 0);
        o->set("in_app", rows.empty() || rows.front().get<2>() != 0);
        const std::string language = rows.empty() ? "" : rows.front().get<3>();
        o->set("language", language.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(language));
        return o;
    };
    host.router().add({"GET", "/api/v1/notification-preferences", clinic::Access::authenticated(),
        [readPreferences](Request& req) { return Response::json(readPreferences(req)); },
        "notifications: the caller's channels and language",
        Contract().returns(200, "the preferences (all channels on until changed)", preferencesSchema())});

    host.router().add({"PUT", "/api/v1/notification-preferences", clinic::Access::authenticated(),
        [&db, &host, readPreferences](Request& req) {
            auto current = readPreferences(req);
            auto body = req.jsonObject();
            clinic::FieldReader in(body);
            bool email = in.optionalBool("email").value_or(current->getValue<bool>("email"));
            bool sms = in.optionalBool("sms").value_or(current->getValue<bool>("sms"));
            bool inApp = in.optionalBool("in_app").value_or(current->getValue<bool>("in_app"));
            std::string language
                = current->isNull("language") ? "" : current->getValue<std::string>("language");
            if (body->has("language")) {
                if (body->isNull("language"))
                    language.clear();
                else if (auto l = in.optionalString("language", 2, 2)) {
                    if (*l != "en" && *l != "ro")
                        in.fail("language", "must be \"en\" or \"ro\"");
                    language = *l;
                }
            }
            in.finish();
            Poco::Int64 user = req.caller.userId,
                        patient = req.caller.role == "patient" ? req.caller.patientId : 0, at = nowMs(host);
            int e = email, s = sms, a = inApp;
            db.transact([&](clinic::Transaction& tx) {
                tx.session() << "DELETE FROM notifications_preferences WHERE user_id = ?", use(user), now;
                tx.session()
                    << "INSERT INTO notifications_preferences (user_id, patient_id, email, sms, in_app,"
                       " language, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    use(user), use(patient), use(e), use(s), use(a), use(language), use(at), now;
            });
            return Response::json(readPreferences(req));
        },
        "notifications: change the caller's channels or language",
        Contract()
            .accepts(Schema::object()
                         .optional("email", Schema::boolean())
                         .optional("sms", Schema::boolean())
                         .optional("in_app", Schema::boolean())
                         .optional("language", Schema::enumOf({"en", "ro"}).nullable()))
            .returns(200, "the preferences now", preferencesSchema())});
}

void addOutboxRoutes(clinic::Host& host, Dispatcher& dispatcher)
{
    clinic::Database& db = host.database();
    host.router().add({"GET", "/api/v1/outbox", clinic::Access::only(clinic::roles::admin),
        [&db, &host](Request& req) {
            std::map<std::string, std::string> errors;
            const clinic::PageRequest page = clinic::readPage(req, errors);
            const std::string status = req.query("status").value_or("");
            if (!status.empty() && status != "queued" && status != "sending" && status != "sent"
                && status != "failed" && status != "skipped")
                errors["status"] = "must be queued, sending, sent, failed or skipped";
            if (!errors.empty())
                throw HttpError::validation(errors);
            auto rows = Outbox::list(db, status, page.cursor, page.limit + 1);
            host.audit().record(
                req, clinic::AuditEvent {"notifications.outbox.list", "outbox", "", 0, "ok", ""});
            return Response::json(clinic::idCursorPage(
                page, rows, [](const OutboxRow& r) { return outboxJson(r, false); },
                [](const OutboxRow& r) { return r.id; }));
        },
        "notifications: the outbox, by status (admin)",
        Contract()
            .page()
            .param("status", Schema::enumOf({"queued", "sending", "sent", "failed", "skipped"}), "only these")
            .returns(200, "a page of messages", clinic::listOf(outboxSchema(false)))});

    host.router().add({"GET", "/api/v1/outbox/{id}", clinic::Access::only(clinic::roles::admin),
        [&db, &host](Request& req) {
            auto row = Outbox::find(db, req.idParam("id"));
            if (!row)
                throw HttpError::notFound("no such message");
            host.audit().record(req,
                clinic::AuditEvent {"notifications.outbox.read", "outbox", std::to_string(row->id),
                    row->patientId, "ok", ""});
            return Response::json(outboxJson(*row, true));
        },
        "notifications: one outbox message with its rendered text (admin)",
        Contract().returns(200, "the message", outboxSchema(true))});

    host.router().add({"POST", "/api/v1/outbox/{id}/retry", clinic::Access::only(clinic::roles::admin),
        [&db, &host, &dispatcher](Request& req) {
            const std::int64_t id = req.idParam("id");
            auto row = Outbox::find(db, id);
            if (!row)
                throw HttpError::notFound("no such message");
            const std::int64_t at = nowMs(host);
            if (!Outbox::retry(db, id, at))
                throw HttpError::conflict(
                    "only a failed or skipped message is retried; this one is " + row->status);
            host.audit().record(req,
                clinic::AuditEvent {
                    "notifications.outbox.retry", "outbox", std::to_string(id), row->patientId, "ok", ""});
            // The answer is what the retry wrote: a sender woken below (or
            // polling) may already be sending it by the time a re-read ran.
            row->status = "queued";
            row->attempts = 0;
            row->dueAt = at;
            row->updatedAt = at;
            dispatcher.wake();
            return Response::json(outboxJson(*row, false));
        },
        "notifications: send a failed or skipped message again (admin)",
        Contract()
            .accepts(Schema::object().describe("no fields"))
            .returns(200, "the message, queued again", outboxSchema(false))});
}

} // namespace notifications
