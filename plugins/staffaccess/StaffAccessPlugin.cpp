// Access requests: a staff member asks to hold their role at another
// location of the clinic group (a doctor joining a second clinic); an admin
// approves or rejects it, once. Approval writes exactly that grant through
// the kernel's kernel.role_grants.v1, in the same transaction as the
// decision and its audit row, and tells the requester with an event.
//
// Why a plugin and not the kernel: who may act as what stays the kernel's
// (it keeps the grants and answers "which locations may this user act at"),
// but a request, its note and its review by an admin are a clinic workflow
// over locations, which are the scheduling plugin's. So the workflow lives
// here and calls the one kernel function that records a grant.

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Tuple.h>

#include "clinic/Host.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"
#include "clinic/RoleGrants.h"
#include "clinic/Roles.h"
#include "clinic/RouteTable.h"
#include "clinic/Time.h"
#include "clinic/scheduling/Doctors.h"
#include "clinic/scheduling/Locations.h"

using namespace Poco::Data::Keywords;
using clinic::HttpError;
using clinic::Request;
using clinic::Response;
using clinic::Schema;

namespace {

/// The roles held per location. An admin's role is everywhere already.
const std::set<std::string> kLocalRoles = {"doctor", "nurse", "receptionist"};

using RequestRow = Poco::Tuple<Poco::Int64, Poco::Int64, std::string, Poco::Int64, std::string, std::string,
    std::string, Poco::Int64, Poco::Nullable<Poco::Int64>, Poco::Nullable<Poco::Int64>>;

const char* const kColumns = "id, user_id, role, location_id, note, status, decision_reason, created_at,"
                             " decided_at, decided_by";

/// Byte-order marks, line/paragraph separators and text-direction controls:
/// what lets a note show as other text on the admin's screen.
bool hasDirectionControls(const std::string& s)
{
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]);
        if (c == 0xD8 && b1 == 0x9C)
            return true;
        if (i + 2 >= s.size())
            continue;
        const auto b2 = static_cast<unsigned char>(s[i + 2]);
        if (c == 0xE2 && b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xA8 && b2 <= 0xAE)))
            return true;
        if (c == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)
            return true;
        if (c == 0xEF && b1 == 0xBB && b2 == 0xBF)
            return true;
    }
    return false;
}

Poco::JSON::Object::Ptr toJson(const RequestRow& r)
{
    auto out = clinic::makeObject();
    out->set("id", r.get<0>());
    out->set("user_id", r.get<1>());
    out->set("role", r.get<2>());
    out->set("location_id", r.get<3>());
    if (!r.get<4>().empty())
        out->set("note", r.get<4>());
    out->set("status", r.get<5>());
    if (!r.get<6>().empty())
        out->set("reason", r.get<6>());
    out->set("created_at", clinic::formatRfc3339(r.get<7>()));
    if (!r.get<8>().isNull())
        out->set("decided_at", clinic::formatRfc3339(r.get<8>().value()));
    if (!r.get<9>().isNull())
        out->set("decided_by", r.get<9>().value());
    return out;
}

Schema requestSchema()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("user_id", Schema::id().describe("the requester"))
        .required("role", Schema::enumOf({"doctor", "nurse", "receptionist"}))
        .required("location_id", Schema::id())
        .optional("note", Schema::string(1, 500))
        .required("status", Schema::enumOf({"pending", "approved", "rejected"}))
        .optional("reason", Schema::string(1, 500).describe("why it was rejected"))
        .required("created_at", Schema::dateTime())
        .optional("decided_at", Schema::dateTime())
        .optional("decided_by", Schema::id());
}

class StaffAccessPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "staffaccess"; }
    std::string version() const override { return "1.0.0"; }
    /// A request names a location, and locations are scheduling's.
    std::vector<std::string> dependencies() const override { return {"scheduling"}; }
    std::vector<std::string> urlPrefixes() const override { return {"/api/v1/access-requests"}; }

    std::vector<clinic::Migration> migrations() const override
    {
        // open_key is "user:role:location" while a request is pending and
        // NULL once decided: the unique key allows one open request per
        // grant asked for, across daemons, and any number of decided ones.
        return {{1, "access requests",
            {"CREATE TABLE staffaccess_requests (id ${PK}, user_id BIGINT NOT NULL, role VARCHAR(16) NOT "
             "NULL,"
             " location_id BIGINT NOT NULL, note VARCHAR(500) NOT NULL DEFAULT '',"
             " status VARCHAR(16) NOT NULL, decision_reason VARCHAR(500) NOT NULL DEFAULT '',"
             " open_key VARCHAR(80) NULL, created_at BIGINT NOT NULL, decided_at BIGINT NULL,"
             " decided_by BIGINT NULL)${TABLE}",
                "CREATE UNIQUE INDEX staffaccess_requests_open ON staffaccess_requests (open_key)",
                "CREATE INDEX staffaccess_requests_user ON staffaccess_requests (user_id, id)"}}};
    }

    void start(clinic::Host& host) override
    {
        _host = &host;
        _grants = host.services().find<clinic::RoleGrants>(clinic::kRoleGrantsService);
        _locations = host.services().find<clinic::scheduling::LocationDirectory>(
            clinic::scheduling::kLocationDirectoryService);
        if (!_grants || !_locations)
            throw std::runtime_error("kernel.role_grants.v1 or scheduling.locations.v1 is not published");

        const auto request = requestSchema();
        clinic::RouteTable<StaffAccessPlugin> routes(host.router(), *this);
        routes.add("GET", "/api/v1/access-requests", clinic::roles::staff, &StaffAccessPlugin::list,
            "staffaccess: access requests (admin: all, ?status=; staff: their own)",
            clinic::Contract()
                .page()
                .param("status", Schema::enumOf({"pending", "approved", "rejected"}), "only these")
                .returns(200, "access requests", clinic::listOf(request)));
        routes.add("POST", "/api/v1/access-requests", kLocalRoles, &StaffAccessPlugin::create,
            "staffaccess: ask to hold your role at another location",
            clinic::Contract()
                .accepts(Schema::object()
                             .required("location_id", Schema::id())
                             .required("role",
                                 Schema::enumOf({"doctor", "nurse", "receptionist"})
                                     .describe("your own account's role"))
                             .optional("note", Schema::string(1, 500)))
                .returns(201, "the request, pending", request));
        routes.add("POST", "/api/v1/access-requests/{id}/approve", clinic::roles::admin,
            &StaffAccessPlugin::approve, "staffaccess: grant the role at the location, once",
            clinic::Contract()
                .accepts(Schema::object().describe("nothing to send: {} or no body"))
                .returns(200, "the request, approved", request));
        routes.add("POST", "/api/v1/access-requests/{id}/reject", clinic::roles::admin,
            &StaffAccessPlugin::reject, "staffaccess: refuse a pending request",
            clinic::Contract()
                .accepts(Schema::object().optional("reason", Schema::string(1, 500)))
                .returns(200, "the request, rejected", request));

        // Ids and statuses only: every staff terminal may learn that a
        // request was decided (the requester among them), never its note.
        for (const char* type :
            {"access_request.submitted", "access_request.approved", "access_request.rejected"})
            host.events().declare(type,
                {clinic::EventAudience::Schedule,
                    {"access_request_id", "user_id", "role", "location_id", "status"}});
    }

private:
    Response create(Request& req)
    {
        clinic::FieldReader in(req.jsonObject());
        const auto location = in.requiredInt("location_id", 1, INT64_MAX);
        const std::string role = in.requiredString("role", 1, 16);
        const std::string note = in.optionalString("note", 1, 500).value_or("");
        if (!role.empty() && !kLocalRoles.count(role))
            in.fail("role", "must be doctor, nurse or receptionist");
        else if (!role.empty() && role != req.caller.role)
            in.fail(
                "role", "must be your own role (" + req.caller.role + "); a new role is an account change");
        if (hasDirectionControls(note))
            in.fail("note", "must not contain byte-order marks or text-direction controls");
        if (location > 0 && !_locations->location(location))
            in.fail("location_id", "no such location");
        in.finish();

        Poco::Int64 user = req.caller.userId;
        if (_grants->holds(user, role, location) || isHomeLocation(req, location))
            throw HttpError::conflict("you already hold this role at this location");
        std::string openKey = std::to_string(user) + ":" + role + ":" + std::to_string(location);
        Poco::Int64 at = clinic::nowSeconds(_host->clock()), id = 0, loc = location;
        std::string r = role, n = note, status = "pending";
        try {
            _host->database().transact([&](clinic::Transaction& tx) {
                Poco::Int64 open = 0;
                tx.session() << "SELECT COUNT(*) FROM staffaccess_requests WHERE open_key = ?", use(openKey),
                    into(open), now;
                if (open)
                    throw HttpError::conflict("you have asked for this already; an admin will decide");
                tx.session() << "INSERT INTO staffaccess_requests (user_id, role, location_id, note, status,"
                                " open_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    use(user), use(r), use(loc), use(n), use(status), use(openKey), use(at), now;
                id = tx.lastInsertId();
                _host->audit().record(tx, req,
                    clinic::AuditEvent {"access_request.create", "access_request", std::to_string(id), 0,
                        "ok", role + " at location " + std::to_string(location)});
                publish(tx, "access_request.submitted", id, user, role, location, status);
            });
        } catch (const HttpError&) {
            throw;
        } catch (const std::exception& e) {
            if (_host->database().isUniqueViolation(e))
                throw HttpError::conflict("you have asked for this already; an admin will decide");
            throw;
        }
        auto s = _host->database().session();
        Response out = Response::json(toJson(*find(s, id)), 201);
        out.headers.emplace_back("Location", "/api/v1/access-requests/" + std::to_string(id));
        return out;
    }

    Response list(Request& req)
    {
        std::map<std::string, std::string> errors;
        const clinic::PageRequest page = clinic::readPage(req, errors);
        const auto status = req.query("status");
        if (status && *status != "pending" && *status != "approved" && *status != "rejected")
            errors.emplace("status", "must be pending, approved or rejected");
        if (!errors.empty())
            throw HttpError::validation(errors);
        std::string sql = std::string("SELECT ") + kColumns + " FROM staffaccess_requests WHERE 1 = 1";
        std::string wanted = status.value_or("");
        Poco::Int64 user = req.caller.userId, after = page.cursor;
        if (status)
            sql += " AND status = ?";
        if (req.caller.role != "admin")
            sql += " AND user_id = ?";
        sql += " AND id > ? ORDER BY id";
        std::vector<RequestRow> rows;
        auto s = _host->database().session();
        Poco::Data::Statement st(s);
        st << sql;
        if (status)
            st, use(wanted);
        if (req.caller.role != "admin")
            st, use(user);
        st, use(after), into(rows), limit(page.limit + 1);
        st.execute();
        return Response::json(clinic::idCursorPage(page, rows, toJson));
    }

    Response approve(Request& req)
    {
        if (!req.body.empty())
            req.jsonObject(); // a body, if any, is still well-formed JSON: 400 or 422 otherwise
        return decide(req, "approved", "");
    }

    Response reject(Request& req)
    {
        std::string reason;
        if (!req.body.empty()) {
            clinic::FieldReader in(req.jsonObject());
            reason = in.optionalString("reason", 1, 500).value_or("");
            if (hasDirectionControls(reason))
                in.fail("reason", "must not contain byte-order marks or text-direction controls");
            in.finish();
        }
        return decide(req, "rejected", reason);
    }

    /// pending -> approved | rejected, once; the grant, the decision, its
    /// audit row and the event commit together or not at all.
    Response decide(Request& req, const std::string& to, const std::string& reason)
    {
        Poco::Int64 id = req.idParam("id");
        RequestRow row;
        _host->database().transact([&](clinic::Transaction& tx) {
            auto found = find(tx.session(), id);
            if (!found)
                throw HttpError::notFound("no such access request");
            row = *found;
            if (row.get<5>() != "pending") {
                auto details = clinic::makeObject();
                details->set("status", row.get<5>());
                throw HttpError::conflict("this request was " + row.get<5>() + " already", details);
            }
            Poco::Int64 at = clinic::nowSeconds(_host->clock()), by = req.caller.userId;
            std::string status = to, why = reason;
            Poco::Data::Statement update(tx.session());
            update << "UPDATE staffaccess_requests SET status = ?, decision_reason = ?, open_key = NULL,"
                      " decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending'",
                use(status), use(why), use(at), use(by), use(id);
            if (update.execute() != 1)
                throw HttpError::conflict("this request was decided meanwhile");
            const std::string grantText = row.get<2>() + " at location " + std::to_string(row.get<3>())
                + " for user " + std::to_string(row.get<1>());
            if (to == "approved")
                _grants->grant(tx, clinic::RoleGrant {0, row.get<1>(), row.get<2>(), row.get<3>(), by, at});
            _host->audit().record(tx, req,
                clinic::AuditEvent {to == "approved" ? "access_request.approve" : "access_request.reject",
                    "access_request", std::to_string(id), 0, "ok",
                    (to == "approved" ? "granted " : "refused ") + grantText});
            row.set<5>(to);
            row.set<6>(reason);
            row.set<8>(at);
            row.set<9>(by);
            publish(tx, "access_request." + to, id, row.get<1>(), row.get<2>(), row.get<3>(), to);
        });
        return Response::json(toJson(row));
    }

    /// A doctor's own clinic needs no grant: the directory names it.
    bool isHomeLocation(const Request& req, std::int64_t location)
    {
        if (req.caller.role != "doctor" || req.caller.doctorId <= 0)
            return false;
        auto doctors = _host->services().find<clinic::scheduling::DoctorDirectory>(
            clinic::scheduling::kDoctorDirectoryService);
        if (!doctors)
            return false;
        const auto card = doctors->doctor(req.caller.doctorId);
        return card && card->locationId == location;
    }

    static std::optional<RequestRow> find(Poco::Data::Session& s, Poco::Int64 id)
    {
        std::vector<RequestRow> rows;
        s << std::string("SELECT ") + kColumns + " FROM staffaccess_requests WHERE id = ?", use(id),
            into(rows), now;
        if (rows.empty())
            return std::nullopt;
        return rows.front();
    }

    /// The requester hears of it through this event: the live stream shows it
    /// to their terminal, and a notifications plugin may turn it into an
    /// in-app notice (it publishes no notice service today).
    void publish(clinic::Transaction& tx, const std::string& type, std::int64_t id, std::int64_t user,
        const std::string& role, std::int64_t location, const std::string& status)
    {
        auto payload = clinic::makeObject();
        payload->set("access_request_id", static_cast<Poco::Int64>(id));
        payload->set("user_id", static_cast<Poco::Int64>(user));
        payload->set("role", role);
        payload->set("location_id", static_cast<Poco::Int64>(location));
        payload->set("status", status);
        _host->events().publish(tx, {type, payload});
    }

    clinic::Host* _host = nullptr;
    std::shared_ptr<clinic::RoleGrants> _grants;
    std::shared_ptr<clinic::scheduling::LocationDirectory> _locations;
};

} // namespace

CLINIC_PLUGIN(StaffAccessPlugin)
