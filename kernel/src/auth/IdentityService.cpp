#include "auth/IdentityService.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include <Poco/Data/Session.h>
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/String.h>

#include "auth/UserDirectory.h"
#include "clinic/IdCursorPage.h"
#include "clinic/Json.h"
#include "clinic/Patients.h"
#include "clinic/Time.h"

namespace clinic {

namespace {

HttpError unauthenticated(const std::string& message)
{
    return HttpError(401, "UNAUTHENTICATED", message);
}

HttpError rateLimited(Poco::Int64 seconds, const std::string& message)
{
    HttpError error(429, "RATE_LIMITED", message);
    error.headers().emplace_back("Retry-After", std::to_string(seconds));
    return error;
}

Poco::JSON::Object::Ptr userJson(const User& u)
{
    auto o = makeObject();
    o->set("id", u.id);
    o->set("username", u.username);
    o->set("role", u.role);
    o->set("active", u.active);
    if (u.patientId)
        o->set("patient_id", *u.patientId);
    if (u.doctorId)
        o->set("doctor_id", *u.doctorId);
    o->set("created_at", u.createdAt);
    o->set("updated_at", u.updatedAt);
    return o;
}

Poco::JSON::Object::Ptr callerJson(const Caller& c)
{
    auto o = makeObject();
    o->set("id", static_cast<Poco::Int64>(c.userId));
    o->set("username", c.username);
    o->set("role", c.role);
    if (c.patientId > 0)
        o->set("patient_id", static_cast<Poco::Int64>(c.patientId));
    if (c.doctorId > 0)
        o->set("doctor_id", static_cast<Poco::Int64>(c.doctorId));
    return o;
}

bool isRole(const std::string& role)
{
    const auto& all = UserStore::roles();
    return std::find(all.begin(), all.end(), role) != all.end();
}

std::optional<Poco::Int64> positiveQuery(
    const Request& request, const std::string& name, std::map<std::string, std::string>& errors)
{
    return request.queryInt(name, 1, INT64_MAX, errors);
}

std::optional<Poco::Int64> instantQuery(
    const Request& request, const std::string& name, std::map<std::string, std::string>& errors)
{
    auto text = request.query(name);
    if (!text)
        return std::nullopt;
    // POCO's parser is lenient (it takes "yesterday"): check the shape first.
    static const std::regex rfc3339(
        R"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))");
    int tz = 0;
    Poco::DateTime dt;
    if (!std::regex_match(*text, rfc3339)
        || (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FORMAT, *text, dt, tz)
            && !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, *text, dt, tz))) {
        errors[name] = "must be an RFC 3339 instant, e.g. 2026-12-01T09:30:00Z";
        return std::nullopt;
    }
    dt.makeUTC(tz);
    return dt.timestamp().epochMicroseconds();
}

} // namespace

IdentityService::IdentityService(Database& db, const Clock& clock,
    const Poco::Util::AbstractConfiguration& config, AuditLog& audit, ServiceRegistry& services,
    const std::string& dataDir)
    : _db(db)
    , _clock(clock)
    , _config(config)
    , _audit(audit)
    , _services(services)
    , _log(Poco::Logger::get("clinicd.identity"))
    , _signer(TokenSigner::fromConfig(config.getString("auth.jwt_secret_file", ""), dataDir))
    , _users(db, _hasher)
    , _sessions(clock, config.getInt64("auth.refresh_ttl_seconds", 2592000))
    , _throttle(clock, config.getInt("auth.login_max_failures", 5),
          config.getInt("auth.login_max_failures_per_address", 20),
          config.getInt("auth.login_window_seconds", 60))
    , _rateLimit(config.getInt("auth.rate_limit_per_minute", 600))
    , _accessTtl(config.getInt64("auth.access_ttl_seconds", 900))
{
}

const std::string& IdentityService::decoyHash()
{
    // Made on first need, not at start: one scrypt hash is ~100 ms of CPU the
    // daemon would otherwise spend before it can answer /health/ready.
    std::call_once(_decoyOnce, [this] { _decoyHash = _hasher.hash(SessionStore::randomToken(24)); });
    return _decoyHash;
}

Poco::Int64 IdentityService::nowSeconds() const
{
    return clinic::nowSeconds(_clock);
}

std::optional<AccessClaims> IdentityService::bearerClaims(const Request& request) const
{
    auto header = request.header("authorization");
    if (!header)
        return std::nullopt;
    const std::string& h = *header;
    if (h.size() < 8 || Poco::icompare(h.substr(0, 7), "bearer ") != 0)
        return std::nullopt;
    return _signer.verify(Poco::trim(h.substr(7)), nowSeconds());
}

void IdentityService::authenticate(Request& request)
{
    if (!request.header("authorization"))
        throw unauthenticated("sign in first: send Authorization: Bearer <access_token>");
    auto claims = bearerClaims(request);
    if (!claims)
        throw unauthenticated("the access token is not valid or has expired");
    Poco::Data::Session session = _db.session();
    auto caller = _sessions.caller(session, claims->sessionId, claims->userId);
    if (!caller)
        throw unauthenticated("the session has ended; sign in again");
    if (int wait = _rateLimit.take(claims->sessionId, nowSeconds()))
        throw rateLimited(wait, "too many requests for this session; slow down");
    request.caller = *caller;
}

bool IdentityService::sessionLive(const std::string& sessionId, Poco::Int64 userId)
{
    Poco::Data::Session session = _db.session();
    return _sessions.caller(session, sessionId, userId).has_value();
}

Response IdentityService::tokens(
    const Caller& user, const std::string& sessionId, const std::string& refreshToken, int status)
{
    AccessClaims claims;
    claims.userId = user.userId;
    claims.sessionId = sessionId;
    claims.role = user.role;
    claims.issuedAt = nowSeconds();
    claims.expiresAt = claims.issuedAt + _accessTtl;
    auto o = makeObject();
    o->set("access_token", _signer.sign(claims));
    o->set("refresh_token", refreshToken);
    o->set("token_type", "Bearer");
    o->set("expires_in", _accessTtl);
    o->set("user", callerJson(user));
    return Response::json(o, status);
}

Response IdentityService::login(Request& request)
{
    FieldReader in(request.jsonObject());
    const std::string username = in.requiredString("username", 1, 256);
    const std::string password = in.requiredString("password", 1, 1024);
    in.finish();

    const std::string attempted = Poco::toLower(username);
    {
        Poco::Data::Session session = _db.session();
        if (Poco::Int64 wait = _throttle.retryAfter(session, attempted, request.clientAddress)) {
            AuditEvent event {"login.throttled", "user", "", 0, "denied", "too many failed logins"};
            _db.transact([&](Transaction& tx) { _audit.recordAs(tx, request, 0, attempted, "", event); });
            throw rateLimited(wait, "too many failed sign-ins; try again later");
        }
    }

    auto user = _users.findByUsername(attempted);
    // Always one scrypt verify, so the time taken does not tell whether the
    // username exists.
    const bool passwordOk = _hasher.verify(password, user ? user->passwordHash : decoyHash());
    if (!user || !passwordOk || !user->active) {
        const std::string why = !user ? "unknown username"
            : !passwordOk             ? "wrong password"
                                      : "account inactive";
        AuditEvent event {"login.failed", "user", user ? std::to_string(user->id) : "", 0, "failed", why};
        _db.transact([&](Transaction& tx) {
            _throttle.recordFailure(tx, attempted, request.clientAddress);
            _audit.recordAs(tx, request, user ? user->id : 0, attempted, user ? user->role : "", event);
        });
        throw unauthenticated("wrong username or password");
    }

    // A hash made with older (cheaper) parameters is upgraded while the
    // password is at hand; hashed before the transaction, as scrypt is slow.
    std::string upgraded;
    if (_hasher.needsRehash(user->passwordHash))
        upgraded = _hasher.hash(password);
    IssuedSession issued;
    _db.transact([&](Transaction& tx) {
        if (!upgraded.empty()) {
            Poco::Int64 id = user->id;
            tx.session() << "UPDATE users SET password_hash = ? WHERE id = ?",
                Poco::Data::Keywords::use(upgraded), Poco::Data::Keywords::use(id), Poco::Data::Keywords::now;
        }
        issued = _sessions.open(tx, user->id);
        AuditEvent event {"login", "session", issued.sessionId, 0, "ok", ""};
        _audit.recordAs(tx, request, user->id, user->username, user->role, event);
    });
    Caller c;
    c.authenticated = true;
    c.userId = user->id;
    c.username = user->username;
    c.role = user->role;
    c.patientId = user->patientId.value_or(0);
    c.doctorId = user->doctorId.value_or(0);
    return tokens(c, issued.sessionId, issued.refreshToken, 200);
}

Response IdentityService::refresh(Request& request)
{
    FieldReader in(request.jsonObject());
    const std::string presented = in.requiredString("refresh_token", 1, 512);
    in.finish();

    RefreshResult result;
    std::optional<Caller> caller;
    _db.transact([&](Transaction& tx) {
        caller.reset();
        result = _sessions.rotate(tx, presented);
        using O = RefreshResult::Outcome;
        if (result.outcome == O::Rotated) {
            caller = _sessions.caller(tx.session(), result.sessionId, result.userId);
        } else if (result.outcome == O::Reused) {
            AuditEvent event {
                "refresh.reuse", "session", result.sessionId, 0, "denied", "spent refresh token presented"};
            _audit.recordAs(tx, request, result.userId, "", "", event);
        } else if (result.outcome == O::Inactive) {
            AuditEvent event {"refresh.denied", "session", result.sessionId, 0, "denied", "account inactive"};
            _audit.recordAs(tx, request, result.userId, "", "", event);
        }
    });
    if (result.outcome == RefreshResult::Outcome::Reused)
        _log.warning(
            "a spent refresh token was presented from %s: its session was revoked", request.clientAddress);
    if (result.outcome != RefreshResult::Outcome::Rotated || !caller)
        throw unauthenticated("the refresh token is not valid; sign in again");
    return tokens(*caller, result.sessionId, result.refreshToken, 200);
}

Response IdentityService::logout(Request& request)
{
    auto claims = bearerClaims(request);
    if (!claims)
        throw unauthenticated("the access token is not valid or has expired");
    _db.transact([&](Transaction& tx) {
        _sessions.revoke(tx, claims->sessionId, "logout");
        _audit.record(tx, request, AuditEvent {"logout", "session", claims->sessionId, 0, "ok", ""});
    });
    return Response::noContent();
}

Response IdentityService::me(Request& request)
{
    return Response::json(callerJson(request.caller));
}

Response IdentityService::registerPatient(Request& request)
{
    if (!_config.getBool("auth.registration", false))
        throw HttpError::notFound("no such resource: " + request.path);
    auto registry = _services.find<PatientAccounts>(kPatientAccountsService);
    if (!registry)
        throw HttpError(503, "UNAVAILABLE",
            "self-registration needs the records plugin (which creates the patient record), and it is not "
            "running");

    auto body = request.jsonObject();
    FieldReader in(body);
    const std::string username = Poco::toLower(in.requiredString("username", 1, 64));
    const std::string password = in.requiredString("password", 1, 1024);
    if (auto problem = UserStore::usernameProblem(username); !problem.empty())
        in.fail("username", problem);
    if (auto problem = PasswordHasher::policyProblem(username, password); !problem.empty())
        in.fail("password", problem);
    in.finish();

    Poco::JSON::Object::Ptr fields = new Poco::JSON::Object(*body);
    fields->remove("username");
    fields->remove("password");
    User user;
    user.username = username;
    user.role = "patient";
    user.passwordHash = _hasher.hash(password); // before the transaction: scrypt is slow
    user.createdAt = user.updatedAt = nowSeconds();
    IssuedSession issued;
    try {
        _db.transact([&](Transaction& tx) {
            user.patientId = registry->createForRegistration(tx, fields);
            user.id = UserDirectory::insert(tx, _db, user);
            issued = _sessions.open(tx, user.id);
            AuditEvent event {"user.register", "user", std::to_string(user.id), *user.patientId, "ok", ""};
            _audit.recordAs(tx, request, user.id, user.username, user.role, event);
        });
    } catch (const UsernameTaken&) {
        throw HttpError::conflict("the username is taken");
    }
    Caller c;
    c.authenticated = true;
    c.userId = user.id;
    c.username = user.username;
    c.role = user.role;
    c.patientId = user.patientId.value_or(0);
    return tokens(c, issued.sessionId, issued.refreshToken, 201);
}

Response IdentityService::listUsers(Request& request)
{
    const PageRequest page = readPage(request);
    Poco::Int64 after = page.cursor;
    Poco::Data::Session session = _db.session();
    auto users = UserDirectory::list(session, after, static_cast<int>(page.limit + 1));
    return Response::json(idCursorPage(
        page, users, [](const auto& user) { return userJson(user); },
        [](const auto& user) { return static_cast<std::int64_t>(user.id); }));
}

void IdentityService::checkLinks(Transaction& tx, Poco::Int64 userId,
    const std::optional<Poco::Int64>& patientId, const std::optional<Poco::Int64>& doctorId)
{
    if (patientId) {
        // The record must exist now: linking to an id not yet issued would
        // hand the account whichever patient is created next with it.
        // Without the records plugin there is no patient data to reach.
        auto registry = _services.find<PatientAccounts>(kPatientAccountsService);
        if (registry && !registry->exists(tx, *patientId))
            throw HttpError::validation({{"patient_id", "no such patient"}});
    }
    for (const auto& [column, value] : {std::make_pair(std::string("patient_id"), patientId),
             std::make_pair(std::string("doctor_id"), doctorId)}) {
        if (!value)
            continue;
        Poco::Int64 v = *value, self = userId, other = 0;
        using namespace Poco::Data::Keywords;
        tx.session() << "SELECT COUNT(*) FROM users WHERE " + column + " = ? AND id <> ?", use(v), use(self),
            into(other), now;
        if (other)
            throw HttpError::conflict(
                column + " " + std::to_string(v) + " is already linked to another account");
    }
}

Response IdentityService::createUser(Request& request)
{
    FieldReader in(request.jsonObject());
    const std::string username = Poco::toLower(in.requiredString("username", 1, 64));
    const std::string role = in.requiredString("role", 1, 16);
    const std::string password = in.requiredString("password", 1, 1024);
    auto patientId = in.optionalInt("patient_id", 1, INT64_MAX);
    auto doctorId = in.optionalInt("doctor_id", 1, INT64_MAX);
    auto active = in.optionalBool("active");
    if (in.has("username"))
        if (auto problem = UserStore::usernameProblem(username); !problem.empty())
            in.fail("username", problem);
    if (in.has("role") && !isRole(role))
        in.fail("role", "must be one of admin, doctor, nurse, receptionist, patient");
    if (in.has("password"))
        if (auto problem = PasswordHasher::policyProblem(username, password); !problem.empty())
            in.fail("password", problem);
    if (patientId && role != "patient")
        in.fail("patient_id", "only an account with role patient links to a patient record");
    if (doctorId && role != "doctor")
        in.fail("doctor_id", "only an account with role doctor links to a doctor");
    in.finish();

    User user;
    user.username = username;
    user.role = role;
    user.active = active.value_or(true);
    user.patientId = patientId;
    user.doctorId = doctorId;
    user.passwordHash = _hasher.hash(password);
    user.createdAt = user.updatedAt = nowSeconds();
    try {
        _db.transact([&](Transaction& tx) {
            checkLinks(tx, 0, user.patientId, user.doctorId);
            user.id = UserDirectory::insert(tx, _db, user);
            _audit.record(tx, request,
                AuditEvent {"user.create", "user", std::to_string(user.id), 0, "ok", "role " + user.role});
        });
    } catch (const UsernameTaken&) {
        auto details = makeObject();
        details->set("field", "username");
        throw HttpError::conflict("the username " + username + " is taken", details);
    }
    return Response::json(userJson(user), 201);
}

Response IdentityService::getUser(Request& request)
{
    Poco::Data::Session session = _db.session();
    auto user = UserDirectory::findById(session, request.idParam("id"));
    if (!user)
        throw HttpError::notFound("no such user");
    return Response::json(userJson(*user));
}

Response IdentityService::patchUser(Request& request)
{
    const Poco::Int64 id = request.idParam("id");
    auto body = request.jsonObject();
    FieldReader in(body);
    auto role = in.optionalString("role", 1, 16);
    auto password = in.optionalString("password", 1, 1024);
    auto active = in.optionalBool("active");
    auto patientId = in.optionalInt("patient_id", 1, INT64_MAX);
    auto doctorId = in.optionalInt("doctor_id", 1, INT64_MAX);
    const bool clearPatient = body->has("patient_id") && body->isNull("patient_id");
    const bool clearDoctor = body->has("doctor_id") && body->isNull("doctor_id");
    if (body->has("username"))
        in.fail("username", "cannot be changed; create a new account instead");
    if (role && !isRole(*role))
        in.fail("role", "must be one of admin, doctor, nurse, receptionist, patient");
    in.finish();

    std::optional<User> before;
    {
        Poco::Data::Session session = _db.session();
        before = UserDirectory::findById(session, id);
    }
    if (!before)
        throw HttpError::notFound("no such user");
    User after = *before;
    if (role)
        after.role = *role;
    if (active)
        after.active = *active;
    // A link that does not fit the new role is dropped with the role change.
    if (after.role != "patient")
        after.patientId.reset();
    if (after.role != "doctor")
        after.doctorId.reset();
    if (clearPatient)
        after.patientId.reset();
    if (clearDoctor)
        after.doctorId.reset();
    if (patientId) {
        if (after.role != "patient")
            in.fail("patient_id", "only an account with role patient links to a patient record");
        after.patientId = patientId;
    }
    if (doctorId) {
        if (after.role != "doctor")
            in.fail("doctor_id", "only an account with role doctor links to a doctor");
        after.doctorId = doctorId;
    }
    if (password)
        if (auto problem = PasswordHasher::policyProblem(after.username, *password); !problem.empty())
            in.fail("password", problem);
    in.finish();
    if (password)
        after.passwordHash = _hasher.hash(*password);
    after.updatedAt = nowSeconds();

    _db.transact([&](Transaction& tx) {
        const bool losesAdmin
            = before->role == "admin" && before->active && (after.role != "admin" || !after.active);
        if (losesAdmin && UserDirectory::otherActiveAdmins(tx, id) == 0)
            throw HttpError::conflict("this is the last active admin; make another admin first");
        checkLinks(tx, id, after.patientId != before->patientId ? after.patientId : std::nullopt,
            after.doctorId != before->doctorId ? after.doctorId : std::nullopt);
        UserDirectory::update(tx, after);
        const std::string object = std::to_string(id);
        if (after.role != before->role)
            _audit.record(tx, request,
                AuditEvent {"user.role_change", "user", object, 0, "ok", before->role + " -> " + after.role});
        if (before->active && !after.active) {
            // Deactivation ends every session now, not when tokens expire.
            _sessions.revokeAllOf(tx, id, "deactivated");
            _audit.record(tx, request, AuditEvent {"user.deactivate", "user", object, 0, "ok", ""});
        }
        if (!before->active && after.active)
            _audit.record(tx, request, AuditEvent {"user.activate", "user", object, 0, "ok", ""});
        if (password) {
            // A reset usually means the old password leaked: end its sessions.
            _sessions.revokeAllOf(tx, id, "password_reset");
            _audit.record(tx, request, AuditEvent {"user.password_reset", "user", object, 0, "ok", ""});
        }
        if (after.patientId != before->patientId || after.doctorId != before->doctorId) {
            auto show = [](const std::optional<Poco::Int64>& v) {
                return v ? std::to_string(*v) : std::string("none");
            };
            _audit.record(tx, request,
                AuditEvent {"user.link_change", "user", object, after.patientId.value_or(0), "ok",
                    "patient " + show(before->patientId) + " -> " + show(after.patientId) + ", doctor "
                        + show(before->doctorId) + " -> " + show(after.doctorId)});
        }
    });
    return Response::json(userJson(after));
}

Response IdentityService::listAudit(Request& request)
{
    std::map<std::string, std::string> errors;
    AuditQuery q;
    q.patientId = positiveQuery(request, "patient_id", errors);
    q.actorId = positiveQuery(request, "actor_id", errors);
    q.fromMicros = instantQuery(request, "from", errors);
    q.toMicros = instantQuery(request, "to", errors);
    const PageRequest page = readPage(request, errors);
    q.limit = static_cast<int>(page.limit);
    // The trail pages newest first: the cursor is the id to go below, never 0.
    if (page.cursor > 0)
        q.beforeId = page.cursor;
    else if (request.query("cursor") && !errors.count("cursor"))
        errors["cursor"] = "is not a cursor this list gave out";
    if (!errors.empty())
        throw HttpError::validation(errors);
    AuditPage found = _audit.query(q);
    // Reading the trail is itself a recorded act.
    _audit.record(request, AuditEvent {"audit.read", "audit", "", q.patientId.value_or(0), "ok", ""});
    std::optional<std::int64_t> next;
    if (found.nextBeforeId)
        next = *found.nextBeforeId;
    return Response::json(listPage(found.items, next));
}

} // namespace clinic
