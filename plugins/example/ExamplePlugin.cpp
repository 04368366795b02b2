// The smallest useful clinicd plugin: one table, three routes (one for staff
// only, paged and audited), a readiness check, a reload hook, a Lua rule hook
// of its own (before_note) and a service (example.notes.v1). Copy this folder
// to start a new plugin.

#include <algorithm>
#include <atomic>

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include "NoteStore.h"
#include "clinic/Host.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"
#include "clinic/Roles.h"
#include "clinic/Rules.h"
#include "clinic/Time.h"

using namespace Poco::Data::Keywords;

namespace {

/// UTF-8 characters, as the 200-character limit counts them.
Poco::Int64 characters(const std::string& text)
{
    return std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

class ExamplePlugin : public clinic::Plugin {
public:
    std::string name() const override { return "example"; }
    std::string version() const override { return "1.0.0"; }

    std::vector<clinic::Migration> migrations() const override
    {
        return {{1, "example notes table",
            {"CREATE TABLE example_notes (id ${PK}, text VARCHAR(200) NOT NULL, created_at BIGINT NOT "
             "NULL)${TABLE}"}}};
    }

    /// The clinic may decide in Lua whether a note is kept: the plugin owns
    /// the hook, so it declares it here, with what the script gets and
    /// answers and what an error means (a refused note, never a silent save).
    void declareRuleHooks(clinic::RuleEngine& rules) override
    {
        rules.declare(
            {"before_note", "{text, length} -> true | false, \"reason\"", clinic::RuleFailure::FailClosed});
    }

    void start(clinic::Host& host) override
    {
        clinic::Database& db = host.database();
        const clinic::Clock& clock = host.clock();
        clinic::RuleEngine& rules = host.rules();
        Poco::Logger& log = host.logger();

        // What a route accepts and answers is declared beside it: the OpenAPI
        // document at /api/v1/openapi.json is generated from these.
        const auto note = clinic::Schema::object()
                              .required("id", clinic::Schema::id())
                              .required("text", clinic::Schema::string(1, 200));
        host.router().add({"POST", "/api/v1/example/notes", clinic::Access::open(),
            [&db, &clock, &rules, &log](clinic::Request& req) {
                clinic::FieldReader in(req.jsonObject());
                std::string text = in.requiredString("text", 1, 200);
                in.finish();
                // Asked before the write: a script never runs inside a transaction.
                auto ctx = clinic::makeObject();
                ctx->set("text", text);
                ctx->set("length", characters(text));
                const clinic::RuleDecision decision = clinic::decide(rules, "before_note", ctx);
                if (decision.failed())
                    log.error("before_note rule failed: " + decision.error);
                if (!decision.allowed) {
                    auto details = clinic::makeObject();
                    details->set("rule", "before_note");
                    details->set("reason", decision.reason);
                    throw clinic::HttpError(422, "RULE_REJECTED", decision.reason, details);
                }
                Poco::Int64 at = clinic::nowSeconds(clock);
                Poco::Int64 id = 0;
                db.transact([&](clinic::Transaction& tx) {
                    tx.session() << "INSERT INTO example_notes (text, created_at) VALUES (?, ?)", use(text),
                        use(at), now;
                    id = tx.lastInsertId();
                });
                auto out = clinic::makeObject();
                out->set("id", id);
                out->set("text", text);
                return clinic::Response::json(out, 201);
            },
            "example: store a note",
            clinic::Contract()
                .accepts(clinic::Schema::object().required("text", clinic::Schema::string(1, 200)))
                .returns(201, "the stored note", note)});

        host.router().add({"GET", "/api/v1/example/notes/{id}", clinic::Access::open(),
            [&db](clinic::Request& req) {
                Poco::Int64 id = req.idParam("id");
                std::vector<std::string> text;
                Poco::Data::Session s = db.session();
                s << "SELECT text FROM example_notes WHERE id = ?", use(id), into(text), now;
                if (text.empty())
                    throw clinic::HttpError::notFound("no such note");
                auto out = clinic::makeObject();
                out->set("id", id);
                out->set("text", text.front());
                out->set("reloads", _reloads.load());
                return clinic::Response::json(out);
            },
            "example: read a note",
            clinic::Contract().returns(200, "the note",
                clinic::Schema(note).required(
                    "reloads", clinic::Schema::integer().describe("reloads this daemon has seen")))});

        // Staff only, a page at a time (?limit=&cursor=), and audited: the
        // shape of every list of clinic data. The kernel refuses other roles
        // (403, audited as denied) before the handler runs.
        host.router().add({"GET", "/api/v1/example/notes", clinic::Access::only(clinic::roles::staff),
            [&db, &host](clinic::Request& req) {
                const clinic::PageRequest page = clinic::readPage(req);
                std::vector<Poco::Tuple<Poco::Int64, std::string>> rows;
                Poco::Int64 after = page.cursor;
                Poco::Data::Session s = db.session();
                s << "SELECT id, text FROM example_notes WHERE id > ? ORDER BY id", use(after), into(rows),
                    limit(page.limit + 1), now;
                host.audit().record(req, clinic::AuditEvent {"example.notes.list", "note", "", 0, "ok", ""});
                return clinic::Response::json(clinic::idCursorPage(page, rows, [](const auto& row) {
                    auto out = clinic::makeObject();
                    out->set("id", row.template get<0>());
                    out->set("text", row.template get<1>());
                    return out;
                }));
            },
            "example: list notes (staff)",
            clinic::Contract().page().returns(200, "a page of notes", clinic::listOf(note))});

        // Other plugins read notes through example.notes.v1, never the table.
        host.services().publish<clinic::example::Notes>(
            clinic::example::kNotesService, example::makeNoteStore(db));

        host.addReadinessCheck("notes", [] { return clinic::ReadinessResult {true, ""}; });
        host.onReload([this, &host] {
            ++_reloads;
            host.logger().information("example plugin reloaded (%d)", _reloads.load());
        });
    }

private:
    static std::atomic<int> _reloads;
};

std::atomic<int> ExamplePlugin::_reloads {0};

} // namespace

CLINIC_PLUGIN(ExamplePlugin)
