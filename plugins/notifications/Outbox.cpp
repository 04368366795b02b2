#include "Outbox.h"

#include <functional>

#include <Poco/Data/Statement.h>

using namespace Poco::Data::Keywords;

namespace notifications {

namespace {

const char* const kColumns
    = "id, dedup_key, kind, channel, recipient, language, subject, body_text, body_html, status, attempts,"
      " last_error, provider_id, segments, patient_id, appointment_id, appointment_start, due_at, created_at,"
      " updated_at, sent_at";

/// Runs a SELECT of kColumns (sql starts after the column list) with bind
/// adding the parameters, and reads the rows.
std::vector<OutboxRow> select(Poco::Data::Session& session, const std::string& tail,
    const std::function<void(Poco::Data::Statement&)>& bind)
{
    std::vector<Poco::Int64> id, patient, appointment, start, due, created, updated, sent;
    std::vector<std::string> key, kind, channel, recipient, language, subject, text, html, status, error,
        provider;
    std::vector<int> attempts, segments;
    Poco::Data::Statement st(session);
    st << std::string("SELECT ") + kColumns + " FROM notifications_outbox " + tail;
    bind(st);
    st, into(id), into(key), into(kind), into(channel), into(recipient), into(language), into(subject),
        into(text), into(html), into(status), into(attempts), into(error), into(provider), into(segments),
        into(patient), into(appointment), into(start), into(due), into(created), into(updated), into(sent);
    st.execute();
    std::vector<OutboxRow> rows(id.size());
    for (std::size_t i = 0; i < id.size(); ++i) {
        OutboxRow& r = rows[i];
        r.id = id[i];
        r.dedupKey = key[i];
        r.kind = kind[i];
        r.channel = channel[i];
        r.recipient = recipient[i];
        r.language = language[i];
        r.subject = subject[i];
        r.text = text[i];
        r.html = html[i];
        r.status = status[i];
        r.attempts = attempts[i];
        r.lastError = error[i];
        r.providerId = provider[i];
        r.segments = segments[i];
        r.patientId = patient[i];
        r.appointmentId = appointment[i];
        r.appointmentStart = start[i];
        r.dueAt = due[i];
        r.createdAt = created[i];
        r.updatedAt = updated[i];
        r.sentAt = sent[i];
    }
    return rows;
}

std::int64_t changedRows(clinic::Transaction& tx)
{
    Poco::Int64 n = 0;
    tx.session() << (tx.dialect() == clinic::Dialect::SQLite ? "SELECT changes()" : "SELECT ROW_COUNT()"),
        into(n), now;
    return n;
}

std::string truncated(const std::string& text, std::size_t max)
{
    if (text.size() <= max)
        return text;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return text.substr(0, end);
}

} // namespace

std::vector<clinic::Migration> Outbox::migrations()
{
    return {
        clinic::Migration(1, "notifications outbox",
            {"CREATE TABLE notifications_outbox (id ${PK}, dedup_key VARCHAR(191) NOT NULL UNIQUE,"
             " kind VARCHAR(64) NOT NULL, channel VARCHAR(16) NOT NULL, recipient VARCHAR(320) NOT NULL,"
             " language VARCHAR(8) NOT NULL, subject VARCHAR(500) NOT NULL, body_text ${LONGTEXT} NOT NULL,"
             " body_html ${LONGTEXT} NOT NULL, status VARCHAR(16) NOT NULL, attempts INT NOT NULL DEFAULT 0,"
             " last_error VARCHAR(1000) NOT NULL DEFAULT '', provider_id VARCHAR(191) NOT NULL DEFAULT '',"
             " segments INT NOT NULL DEFAULT 0, patient_id BIGINT NOT NULL DEFAULT 0,"
             " appointment_id BIGINT NOT NULL DEFAULT 0, appointment_start BIGINT NOT NULL DEFAULT 0,"
             " due_at BIGINT NOT NULL, lease_owner VARCHAR(64) NOT NULL DEFAULT '',"
             " lease_until BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
             " sent_at BIGINT NOT NULL DEFAULT 0)${TABLE}",
                // Senders look for due messages and expired leases; the list by status.
                "CREATE INDEX notifications_outbox_due ON notifications_outbox (status, due_at)",
                "CREATE INDEX notifications_outbox_lease ON notifications_outbox (status, lease_until)",
                "CREATE INDEX notifications_outbox_provider ON notifications_outbox (provider_id)",
                "CREATE INDEX notifications_outbox_recipient ON notifications_outbox (recipient, id)"}),
        clinic::Migration(2, "notifications inbox and preferences",
            {"CREATE TABLE notifications_inbox (id ${PK}, dedup_key VARCHAR(191) NOT NULL UNIQUE,"
             " patient_id BIGINT NOT NULL DEFAULT 0, user_id BIGINT NOT NULL DEFAULT 0,"
             " kind VARCHAR(64) NOT NULL, subject VARCHAR(500) NOT NULL, body ${LONGTEXT} NOT NULL,"
             " created_at BIGINT NOT NULL, read_at BIGINT NOT NULL DEFAULT 0)${TABLE}",
                "CREATE INDEX notifications_inbox_patient ON notifications_inbox (patient_id, id)",
                "CREATE INDEX notifications_inbox_user ON notifications_inbox (user_id, id)",
                "CREATE TABLE notifications_preferences (user_id BIGINT NOT NULL PRIMARY KEY,"
                " patient_id BIGINT NOT NULL DEFAULT 0, email INT NOT NULL, sms INT NOT NULL,"
                " in_app INT NOT NULL, language VARCHAR(8) NOT NULL DEFAULT '',"
                " updated_at BIGINT NOT NULL)${TABLE}",
                "CREATE INDEX notifications_preferences_patient ON notifications_preferences (patient_id)"}),
        clinic::Migration(3, "notifications sms replies",
            {"CREATE TABLE notifications_replies (id ${PK}, phone VARCHAR(40) NOT NULL, body ${LONGTEXT} NOT "
             "NULL,"
             " action VARCHAR(16) NOT NULL, appointment_id BIGINT NOT NULL DEFAULT 0,"
             " outcome VARCHAR(500) NOT NULL, created_at BIGINT NOT NULL)${TABLE}"}),
    };
}

std::int64_t Outbox::add(clinic::Transaction& tx, const OutboxRow& r)
{
    // A duplicate key is skipped by the statement itself: a failing INSERT
    // would abort the caller's transaction on some backends.
    const std::string verb = tx.dialect() == clinic::Dialect::SQLite ? "INSERT OR IGNORE" : "INSERT IGNORE";
    std::string key = r.dedupKey, kind = r.kind, channel = r.channel, recipient = truncated(r.recipient, 320),
                language = r.language, subject = truncated(r.subject, 500), text = r.text, html = r.html,
                status = r.status, error = truncated(r.lastError, 1000);
    Poco::Int64 patient = r.patientId, appointment = r.appointmentId, start = r.appointmentStart,
                due = r.dueAt, created = r.createdAt, sent = r.sentAt;
    int segments = r.segments;
    tx.session() << verb
            + " INTO notifications_outbox (dedup_key, kind, channel, recipient, language, subject, body_text,"
              " body_html, status, last_error, segments, patient_id, appointment_id, appointment_start, "
              "due_at,"
              " created_at, updated_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
              "?)",
        use(key), use(kind), use(channel), use(recipient), use(language), use(subject), use(text), use(html),
        use(status), use(error), use(segments), use(patient), use(appointment), use(start), use(due),
        use(created), use(created), use(sent), now;
    if (changedRows(tx) == 0)
        return 0;
    return tx.lastInsertId();
}

std::vector<OutboxRow> Outbox::claim(clinic::Database& db, const std::string& owner, int max,
    std::int64_t nowMs, std::int64_t realNowMs, std::int64_t leaseMs, int maxAttempts)
{
    std::vector<OutboxRow> out;
    Poco::Int64 due = nowMs, realNow = realNowMs;
    if (db.dialect() == clinic::Dialect::SQLite) {
        // Look before taking the write lock: an idle daemon would otherwise
        // hold up every writer once a second just to find nothing.
        Poco::Int64 any = 0;
        Poco::Data::Session s = db.session();
        s << "SELECT COUNT(*) FROM (SELECT id FROM notifications_outbox WHERE status = 'queued' AND due_at "
             "<= ?"
             " UNION ALL SELECT id FROM notifications_outbox WHERE status = 'sending' AND lease_until < ?)"
             " AS due",
            use(due), use(realNow), into(any), now;
        if (!any)
            return out;
    }
    db.transact([&](clinic::Transaction& tx) {
        out.clear();
        const std::string lock = tx.dialect() == clinic::Dialect::MySQL ? " FOR UPDATE SKIP LOCKED" : "";
        std::vector<Poco::Int64> stale, queued;
        std::vector<int> staleAttempts;
        Poco::Int64 limitRows = max;
        tx.session()
            << "SELECT id, attempts FROM notifications_outbox WHERE status = 'sending' AND lease_until < ?"
               " ORDER BY lease_until, id LIMIT ?"
                + lock,
            use(realNow), use(limitRows), into(stale), into(staleAttempts), now;
        limitRows = max - static_cast<Poco::Int64>(stale.size());
        if (limitRows > 0)
            tx.session() << "SELECT id FROM notifications_outbox WHERE status = 'queued' AND due_at <= ?"
                            " ORDER BY due_at, id LIMIT ?"
                    + lock,
                use(due), use(limitRows), into(queued), now;
        Poco::Int64 until = realNowMs + leaseMs;
        std::string who = owner;
        std::vector<Poco::Int64> claimed;
        for (std::size_t i = 0; i < stale.size(); ++i) {
            Poco::Int64 id = stale[i];
            if (staleAttempts[i] >= maxAttempts) {
                // Its sender died on the last allowed attempt.
                std::string error = "lease expired on attempt " + std::to_string(staleAttempts[i])
                    + " (the sender stopped without finishing)";
                tx.session() << "UPDATE notifications_outbox SET status = 'failed', last_error = ?,"
                                " lease_owner = '', lease_until = 0, updated_at = ? WHERE id = ?",
                    use(error), use(due), use(id), now;
                continue;
            }
            claimed.push_back(id);
        }
        claimed.insert(claimed.end(), queued.begin(), queued.end());
        if (claimed.empty())
            return;
        // One statement each for the whole batch, not two per message.
        std::string in = "?";
        for (std::size_t i = 1; i < claimed.size(); ++i)
            in += ", ?";
        Poco::Data::Statement update(tx.session());
        update << "UPDATE notifications_outbox SET status = 'sending', attempts = attempts + 1,"
                  " lease_owner = ?, lease_until = ?, updated_at = ? WHERE id IN ("
                + in + ")",
            use(who), use(until), use(due);
        for (auto& id : claimed)
            update, use(id);
        update.execute();
        out = select(tx.session(), "WHERE id IN (" + in + ") ORDER BY due_at, id",
            [&claimed](Poco::Data::Statement& st) {
                for (auto& id : claimed)
                    st, use(id);
            });
    });
    return out;
}

namespace {

bool recordFinish(clinic::Transaction& tx, const OutboxRow& claimed, const std::string& owner,
    const std::string& status, const std::string& error, const std::string& providerId, std::int64_t dueAt,
    std::int64_t nowMs)
{
    std::string s = status, e = truncated(error, 1000), p = providerId, who = owner;
    Poco::Int64 id = claimed.id, due = dueAt, at = nowMs, sent = status == "sent" ? nowMs : 0;
    int attempts = claimed.attempts;
    tx.session() << "UPDATE notifications_outbox SET status = ?, last_error = ?, provider_id = ?, due_at = ?,"
                    " updated_at = ?, sent_at = ?, lease_owner = '', lease_until = 0"
                    " WHERE id = ? AND status = 'sending' AND lease_owner = ? AND attempts = ?",
        use(s), use(e), use(p), use(due), use(at), use(sent), use(id), use(who), use(attempts), now;
    return changedRows(tx) > 0;
}

} // namespace

void Outbox::finishAll(
    clinic::Database& db, std::vector<Finished>& finished, const std::string& owner, std::int64_t nowMs)
{
    db.transact([&](clinic::Transaction& tx) {
        for (auto& f : finished)
            f.recorded = recordFinish(tx, *f.claimed, owner, f.status, f.error, f.providerId, f.dueAt, nowMs);
    });
}

std::optional<OutboxRow> Outbox::find(clinic::Database& db, std::int64_t id)
{
    Poco::Data::Session s = db.session();
    Poco::Int64 key = id;
    auto rows = select(s, "WHERE id = ?", [&key](Poco::Data::Statement& st) { st, use(key); });
    if (rows.empty())
        return std::nullopt;
    return rows.front();
}

std::vector<OutboxRow> Outbox::list(
    clinic::Database& db, const std::string& status, std::int64_t after, std::size_t limit)
{
    Poco::Data::Session s = db.session();
    Poco::Int64 from = after, n = static_cast<Poco::Int64>(limit);
    std::string st = status;
    if (status.empty())
        return select(
            s, "WHERE id > ? ORDER BY id LIMIT ?", [&](Poco::Data::Statement& q) { q, use(from), use(n); });
    return select(s, "WHERE status = ? AND id > ? ORDER BY id LIMIT ?",
        [&](Poco::Data::Statement& q) { q, use(st), use(from), use(n); });
}

bool Outbox::retry(clinic::Database& db, std::int64_t id, std::int64_t nowMs)
{
    bool changed = false;
    db.transact([&](clinic::Transaction& tx) {
        Poco::Int64 key = id, at = nowMs;
        // attempts start again: the retry gets the whole allowance.
        tx.session() << "UPDATE notifications_outbox SET status = 'queued', attempts = 0, due_at = ?,"
                        " updated_at = ? WHERE id = ? AND status IN ('failed', 'skipped')",
            use(at), use(at), use(key), now;
        changed = changedRows(tx) > 0;
    });
    return changed;
}

std::map<std::string, std::int64_t> Outbox::depth(clinic::Database& db, std::int64_t& oldestQueuedDue)
{
    Poco::Data::Session s = db.session();
    std::vector<std::string> status;
    std::vector<Poco::Int64> count;
    s << "SELECT status, COUNT(*) FROM notifications_outbox GROUP BY status", into(status), into(count), now;
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < status.size(); ++i)
        out[status[i]] = count[i];
    std::vector<Poco::Int64> oldest;
    s << "SELECT due_at FROM notifications_outbox WHERE status = 'queued' ORDER BY due_at LIMIT 1",
        into(oldest), now;
    oldestQueuedDue = oldest.empty() ? 0 : oldest.front();
    return out;
}

std::optional<OutboxRow> Outbox::lastSmsTo(clinic::Database& db, const std::string& phone)
{
    Poco::Data::Session s = db.session();
    std::string to = phone;
    auto rows = select(s,
        "WHERE recipient = ? AND channel = 'sms' AND status = 'sent' AND appointment_id > 0 ORDER BY id DESC"
        " LIMIT 1",
        [&to](Poco::Data::Statement& st) { st, use(to); });
    if (rows.empty())
        return std::nullopt;
    return rows.front();
}

bool Outbox::recordDelivery(
    clinic::Database& db, const std::string& providerId, const std::string& status, std::int64_t nowMs)
{
    bool changed = false;
    db.transact([&](clinic::Transaction& tx) {
        std::string p = providerId, e = "delivery report: " + truncated(status, 100);
        Poco::Int64 at = nowMs;
        tx.session() << "UPDATE notifications_outbox SET last_error = ?, updated_at = ? WHERE provider_id = ?"
                        " AND channel = 'sms'",
            use(e), use(at), use(p), now;
        changed = changedRows(tx) > 0;
    });
    return changed;
}

} // namespace notifications
