// The auth, users and audit routes with what each accepts and answers: the
// fields below are the ones the handlers in IdentityService.cpp read and write.

#include "auth/IdentityService.h"

#include "clinic/Roles.h"
#include "clinic/RouteTable.h"

namespace clinic {

namespace {

const std::vector<std::string> kRoles = {"admin", "doctor", "nurse", "receptionist", "patient"};

Schema caller()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("username", Schema::string())
        .required("role", Schema::enumOf(kRoles))
        .optional("patient_id", Schema::id().describe("role patient: their patient record"))
        .optional("doctor_id", Schema::id().describe("role doctor: the doctor they are"));
}

Schema tokenPair()
{
    return Schema::object()
        .required("access_token", Schema::string().describe("a short-lived JWT: Authorization: Bearer <it>"))
        .required("refresh_token", Schema::string().describe("single use: POST /api/v1/auth/refresh"))
        .required("token_type", Schema::enumOf({"Bearer"}))
        .required("expires_in", Schema::integer().describe("seconds the access token is valid"))
        .required("user", caller());
}

Schema account()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("username", Schema::string())
        .required("role", Schema::enumOf(kRoles))
        .required("active", Schema::boolean())
        .optional("patient_id", Schema::id())
        .optional("doctor_id", Schema::id())
        .required("created_at", Schema::integer().describe("seconds since the epoch, UTC"))
        .required("updated_at", Schema::integer().describe("seconds since the epoch, UTC"));
}

Schema auditEntry()
{
    return Schema::object()
        .required("id", Schema::id())
        .required("at", Schema::dateTime())
        .required("actor_id", Schema::id().nullable())
        .required("actor_username", Schema::string())
        .required("actor_role", Schema::string())
        .required("action", Schema::string().describe("e.g. login, user.create, patient.read"))
        .required("object_type", Schema::string())
        .required("object_id", Schema::string())
        .required("patient_id", Schema::id().nullable())
        .required("request_id", Schema::string())
        .required("client_address", Schema::string())
        .required("outcome", Schema::string().describe("ok, denied or failed"))
        .required("reason", Schema::string());
}

} // namespace

void IdentityService::addRoutes(const std::function<void(Route)>& add)
{
    RouteTable<IdentityService> routes(add, *this);
    const auto password = Schema::string(1, 1024).describe("write only; the password policy applies");
    routes.add("POST", "/api/v1/auth/login", Access::open(), &IdentityService::login,
        "sign in with username and password: an access token and a refresh token",
        Contract()
            .accepts(Schema::object()
                         .required("username", Schema::string(1, 256))
                         .required("password", Schema::string(1, 1024)))
            .returns(200, "signed in", tokenPair()),
        16384);
    routes.add("POST", "/api/v1/auth/refresh", Access::open(), &IdentityService::refresh,
        "trade a refresh token for a new pair; a spent one revokes its whole session",
        Contract()
            .accepts(Schema::object().required("refresh_token", Schema::string(1, 512)))
            .returns(200, "a new token pair; the presented refresh token stops working", tokenPair()),
        16384);
    routes.add("POST", "/api/v1/auth/logout", Access::authenticated(), &IdentityService::logout,
        "end the caller's session: its access and refresh tokens stop working",
        Contract()
            .accepts(Schema::object().describe("no fields: the session is the bearer token's"))
            .returnsNothing(204, "signed out"),
        16384);
    routes.add("GET", "/api/v1/auth/me", Access::authenticated(), &IdentityService::me, "the caller",
        Contract().returns(200, "the signed-in account", caller()));
    routes.add("POST", "/api/v1/auth/register", Access::open(), &IdentityService::registerPatient,
        "patient self-registration (when auth.registration is true)",
        Contract()
            .accepts(Schema::object()
                         .required("username", Schema::string(1, 64))
                         .required("password", password)
                         .describe("and the new patient's fields, as POST /api/v1/patients takes them"))
            .returns(201, "registered and signed in", tokenPair()),
        65536);
    routes.add("GET", "/api/v1/users", roles::admin, &IdentityService::listUsers, "accounts, by id",
        Contract().page().returns(200, "accounts", listOf(account())));
    routes.add("POST", "/api/v1/users", roles::admin, &IdentityService::createUser, "create an account",
        Contract()
            .accepts(
                Schema::object()
                    .required("username", Schema::string(1, 64))
                    .required("role", Schema::enumOf(kRoles))
                    .required("password", password)
                    .optional("patient_id", Schema::id().describe("role patient only: their record"))
                    .optional("doctor_id", Schema::id().describe("role doctor only: the doctor they are"))
                    .optional("active", Schema::boolean().describe("default true")))
            .returns(201, "the account", account()),
        65536);
    routes.add("GET", "/api/v1/users/{id}", roles::admin, &IdentityService::getUser, "one account",
        Contract().returns(200, "the account", account()));
    routes.add("PATCH", "/api/v1/users/{id}", roles::admin, &IdentityService::patchUser,
        "change role, links, active flag or reset the password",
        Contract()
            .accepts(
                Schema::object()
                    .optional("role", Schema::enumOf(kRoles))
                    .optional("password", Schema(password).describe("a reset: ends the account's sessions"))
                    .optional("active", Schema::boolean().describe("false ends the account's sessions"))
                    .optional("patient_id", Schema::id().nullable().describe("null unlinks"))
                    .optional("doctor_id", Schema::id().nullable().describe("null unlinks"))
                    .describe("only the fields to change; username cannot change"))
            .returns(200, "the account as changed", account()),
        65536);
    routes.add("GET", "/api/v1/audit", roles::admin, &IdentityService::listAudit,
        "the audit trail, newest first; filters patient_id, actor_id, from, to",
        Contract()
            .param("patient_id", Schema::id(), "only entries about this patient")
            .param("actor_id", Schema::id(), "only entries by this account")
            .param("from", Schema::dateTime(), "entries from this instant")
            .param("to", Schema::dateTime(), "entries up to this instant")
            .page()
            .returns(200, "audit entries, newest first", listOf(auditEntry())));
}

} // namespace clinic
