// Access and refresh tokens through the real clinicd: login, /auth/me,
// rotation, reuse detection, logout, deactivation, expiry and tampering.

#include <sys/stat.h>

#include <thread>

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

const std::string kSecret = "test-signing-key-0123456789abcdef0123456789abcdef";

std::string refreshBody(const std::string& token)
{
    return "{\"refresh_token\":\"" + token + "\"}";
}

/// A token signed with key, carrying the given claims.
std::string mint(const std::string& key, const std::string& sub, const std::string& sid,
    const std::string& role, std::int64_t iat, std::int64_t exp)
{
    Poco::JWT::Token token;
    token.setType("JWT");
    token.setSubject(sub);
    token.payload().set("sid", sid);
    token.payload().set("role", role);
    token.payload().set("iat", static_cast<Poco::Int64>(iat));
    token.payload().set("exp", static_cast<Poco::Int64>(exp));
    Poco::JWT::Signer signer(key);
    return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::int64_t nowSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

class TokenTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TokenTest);
    CPPUNIT_TEST(loginGivesATokenPairAndMeNamesTheCaller);
    CPPUNIT_TEST(noOrWrongCredentialsAre401WithWwwAuthenticate);
    CPPUNIT_TEST(refreshRotatesAndTheSpentTokenStopsWorking);
    CPPUNIT_TEST(reusingASpentRefreshTokenRevokesTheWholeFamily);
    CPPUNIT_TEST(logoutEndsAccessAndRefreshTokens);
    CPPUNIT_TEST(deactivationStopsTokensAtOnce);
    CPPUNIT_TEST(roleChangesCountFromTheNextRequest);
    CPPUNIT_TEST(anExpiredAccessTokenIs401AndRefreshStillWorks);
    CPPUNIT_TEST(tamperedAndForeignTokensAre401);
    CPPUNIT_TEST(onlyTheCanonicalEncodingOfTheSignatureIsAccepted);
    CPPUNIT_TEST(theSigningKeyIsMadeOnceWithMode0600AndAnOpenOneIsRefused);
    CPPUNIT_TEST(aSessionOverItsPerMinuteBudgetIs429);
    CPPUNIT_TEST_SUITE_END();

public:
    void loginGivesATokenPairAndMeNamesTheCaller()
    {
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "Boss", kPassword);
        auto r = login(c, "boss", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto o = r.json();
        CPPUNIT_ASSERT_EQUAL(std::string("Bearer"), o->getValue<std::string>("token_type"));
        CPPUNIT_ASSERT_EQUAL(900, o->getValue<int>("expires_in"));
        CPPUNIT_ASSERT(!o->getValue<std::string>("refresh_token").empty());
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), o->getObject("user")->getValue<std::string>("role"));
        // iat and exp are integers (POCO's setIssuedAt would write a fraction).
        const std::string access = o->getValue<std::string>("access_token");
        const std::string payload
            = unbase64Url(access.substr(access.find('.') + 1, access.rfind('.') - access.find('.') - 1));
        CPPUNIT_ASSERT_MESSAGE(payload, payload.find("\"iat\":") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(payload, payload.find('.') == std::string::npos);

        auto me = c.get("/api/v1/auth/me", bearer(access));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(me.body, 200, me.status);
        CPPUNIT_ASSERT_EQUAL(std::string("boss"), me.json()->getValue<std::string>("username"));
        CPPUNIT_ASSERT_EQUAL(std::string("admin"), me.json()->getValue<std::string>("role"));
    }

    void noOrWrongCredentialsAre401WithWwwAuthenticate()
    {
        Daemon d;
        auto c = d.client();
        addAdminWithClinicctl(d, "boss", kPassword);
        auto none = c.get("/api/v1/auth/me");
        CPPUNIT_ASSERT_EQUAL(401, none.status);
        CPPUNIT_ASSERT_EQUAL(std::string("UNAUTHENTICATED"), none.errorCode());
        CPPUNIT_ASSERT(none.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
        auto wrong = login(c, "boss", "Not-The-Password-1");
        CPPUNIT_ASSERT_EQUAL(401, wrong.status);
        auto unknown = login(c, "nobody", kPassword);
        CPPUNIT_ASSERT_EQUAL(401, unknown.status);
        // The same answer whether or not the account exists.
        CPPUNIT_ASSERT_EQUAL(wrong.json()->getObject("error")->getValue<std::string>("message"),
            unknown.json()->getObject("error")->getValue<std::string>("message"));
        auto garbage = c.get("/api/v1/auth/me", bearer("not.a.token"));
        CPPUNIT_ASSERT_EQUAL(401, garbage.status);
    }

    void refreshRotatesAndTheSpentTokenStopsWorking()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto r = c.post("/api/v1/auth/refresh", refreshBody(admin.refreshToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const std::string next = r.json()->getValue<std::string>("refresh_token");
        const std::string access = r.json()->getValue<std::string>("access_token");
        CPPUNIT_ASSERT(next != admin.refreshToken);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/auth/me", bearer(access)).status);
        // The successor works once more, and so on.
        auto again = c.post("/api/v1/auth/refresh", refreshBody(next));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 200, again.status);
        auto malformed = c.post("/api/v1/auth/refresh", refreshBody("nonsense"));
        CPPUNIT_ASSERT_EQUAL(401, malformed.status);
    }

    void reusingASpentRefreshTokenRevokesTheWholeFamily()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto first = c.post("/api/v1/auth/refresh", refreshBody(admin.refreshToken));
        CPPUNIT_ASSERT_EQUAL(200, first.status);
        const std::string newest = first.json()->getValue<std::string>("refresh_token");
        const std::string newestAccess = first.json()->getValue<std::string>("access_token");

        // The spent token again: refused, and the family ends.
        auto replay = c.post("/api/v1/auth/refresh", refreshBody(admin.refreshToken));
        CPPUNIT_ASSERT_EQUAL(401, replay.status);
        CPPUNIT_ASSERT_EQUAL(401, c.post("/api/v1/auth/refresh", refreshBody(newest)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(newestAccess)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(admin.accessToken)).status);

        // A new login is a new family, and it sees the reuse in the audit.
        auto again = signIn(c, admin.username);
        auto audit = c.get("/api/v1/audit?actor_id=" + std::to_string(admin.id), bearer(again.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(audit.body, 200, audit.status);
        CPPUNIT_ASSERT_MESSAGE(audit.body, audit.body.find("\"refresh.reuse\"") != std::string::npos);
    }

    void logoutEndsAccessAndRefreshTokens()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto other = signIn(c, admin.username); // a second session stays alive
        auto out = c.post("/api/v1/auth/logout", "", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(out.body, 204, out.status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(admin.accessToken)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.post("/api/v1/auth/refresh", refreshBody(admin.refreshToken)).status);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/auth/me", bearer(other.accessToken)).status);
    }

    void deactivationStopsTokensAtOnce()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto nurse = createAndSignIn(c, admin, "nurse.joy", "nurse");
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/auth/me", bearer(nurse.accessToken)).status);
        auto patch = c.request("PATCH", "/api/v1/users/" + std::to_string(nurse.id), "{\"active\":false}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patch.body, 200, patch.status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(nurse.accessToken)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.post("/api/v1/auth/refresh", refreshBody(nurse.refreshToken)).status);
        CPPUNIT_ASSERT_EQUAL(401, login(c, "nurse.joy", kPassword).status);
        // Active again: a fresh login works; the old tokens stay dead.
        c.request("PATCH", "/api/v1/users/" + std::to_string(nurse.id), "{\"active\":true}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(200, login(c, "nurse.joy", kPassword).status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(nurse.accessToken)).status);
    }

    void roleChangesCountFromTheNextRequest()
    {
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto nurse = createAndSignIn(c, admin, "nurse.ratched", "nurse");
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/users", bearer(nurse.accessToken)).status);
        auto patch = c.request("PATCH", "/api/v1/users/" + std::to_string(nurse.id), "{\"role\":\"admin\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(patch.body, 200, patch.status);
        // The same token: the role is read from the database, not the token.
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/users", bearer(nurse.accessToken)).status);
        c.request("PATCH", "/api/v1/users/" + std::to_string(nurse.id), "{\"role\":\"receptionist\"}",
            bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/users", bearer(nurse.accessToken)).status);
    }

    void anExpiredAccessTokenIs401AndRefreshStillWorks()
    {
        Daemon::Options o;
        o.config["auth.access_ttl_seconds"] = "1";
        Daemon d(o);
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        std::this_thread::sleep_for(std::chrono::milliseconds(2100));
        auto expired = c.get("/api/v1/auth/me", bearer(admin.accessToken));
        CPPUNIT_ASSERT_EQUAL(401, expired.status);
        auto r = c.post("/api/v1/auth/refresh", refreshBody(admin.refreshToken));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        CPPUNIT_ASSERT_EQUAL(
            200, c.get("/api/v1/auth/me", bearer(r.json()->getValue<std::string>("access_token"))).status);
    }

    void tamperedAndForeignTokensAre401()
    {
        TempDir keys;
        const std::string keyFile = keys.file("jwt.key");
        writeFile(keyFile, kSecret);
        ::chmod(keyFile.c_str(), 0600);
        Daemon::Options o;
        o.config["auth.jwt_secret_file"] = keyFile;
        Daemon d(o);
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto nurse = createAndSignIn(c, admin, "nurse.n", "nurse");
        const std::string t = nurse.accessToken;
        const auto dot1 = t.find('.'), dot2 = t.rfind('.');

        // A flipped signature byte.
        std::string flipped = t;
        flipped[dot2 + 3] = flipped[dot2 + 3] == 'A' ? 'B' : 'A';
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(flipped)).status);

        // The role claim changed to admin, signature kept.
        std::string payload = unbase64Url(t.substr(dot1 + 1, dot2 - dot1 - 1));
        auto at = payload.find("\"nurse\"");
        CPPUNIT_ASSERT(at != std::string::npos);
        payload.replace(at, 7, "\"admin\"");
        std::string promoted = t.substr(0, dot1 + 1) + base64Url(payload) + t.substr(dot2);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/users", bearer(promoted)).status);

        // alg "none" with no signature.
        std::string none = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
            + t.substr(dot1 + 1, dot2 - dot1 - 1) + ".";
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(none)).status);

        // Signed with another key.
        std::string sid = payload.substr(payload.find("\"sid\":\"") + 7, 32);
        std::string foreign = mint("another-key-0123456789abcdef0123456789abcdef", std::to_string(nurse.id),
            sid, "nurse", nowSeconds(), nowSeconds() + 600);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(foreign)).status);

        // Signed with the right key but expired: POCO would accept it; clinicd must not.
        std::string expired
            = mint(kSecret, std::to_string(nurse.id), sid, "nurse", nowSeconds() - 1000, nowSeconds() - 10);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(expired)).status);

        // Signed with the right key, valid, claiming admin: the database says nurse.
        std::string claimsAdmin
            = mint(kSecret, std::to_string(nurse.id), sid, "admin", nowSeconds(), nowSeconds() + 600);
        auto me = c.get("/api/v1/auth/me", bearer(claimsAdmin));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(me.body, 200, me.status);
        CPPUNIT_ASSERT_EQUAL(std::string("nurse"), me.json()->getValue<std::string>("role"));
        CPPUNIT_ASSERT_EQUAL(403, c.get("/api/v1/users", bearer(claimsAdmin)).status);

        // A valid signature on someone else's session id does not get in.
        std::string wrongSession
            = mint(kSecret, std::to_string(admin.id), sid, "admin", nowSeconds(), nowSeconds() + 600);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(wrongSession)).status);
    }

    void onlyTheCanonicalEncodingOfTheSignatureIsAccepted()
    {
        // The signature is compared by clinicd itself, in constant time,
        // against the one canonical base64url text of the MAC; POCO's own
        // check decoded loosely, so the same MAC in another spelling (the
        // last character's two unused bits set, or with padding) passed.
        Daemon d;
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        const std::string t = admin.accessToken;
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/auth/me", bearer(t)).status);
        const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const auto last = alphabet.find(t.back());
        CPPUNIT_ASSERT(last != std::string::npos);
        std::string lowBits = t;
        lowBits.back() = alphabet[last ^ 1];
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(lowBits)).status);
        CPPUNIT_ASSERT_EQUAL(401, c.get("/api/v1/auth/me", bearer(t + "=")).status);
    }

    void theSigningKeyIsMadeOnceWithMode0600AndAnOpenOneIsRefused()
    {
        std::string dataDir;
        {
            Daemon d;
            dataDir = d.dataDir();
            struct stat st { };
            CPPUNIT_ASSERT_EQUAL(0, ::stat((dataDir + "/jwt.key").c_str(), &st));
            CPPUNIT_ASSERT_EQUAL(0600, static_cast<int>(st.st_mode & 0777));
        }
        TempDir keys;
        const std::string keyFile = keys.file("open.key");
        writeFile(keyFile, kSecret);
        ::chmod(keyFile.c_str(), 0644);
        Daemon::Options o;
        o.config["auth.jwt_secret_file"] = keyFile;
        o.waitLive = false;
        Daemon d(o);
        int code = d.waitExit(30);
        CPPUNIT_ASSERT_MESSAGE(d.log(), code != 0 && code != -1);
        CPPUNIT_ASSERT_MESSAGE(d.log(), d.log().find("group or others") != std::string::npos);
    }

    void aSessionOverItsPerMinuteBudgetIs429()
    {
        Daemon::Options o;
        o.config["auth.rate_limit_per_minute"] = "5";
        Daemon d(o);
        auto c = d.client();
        auto admin = firstAdmin(d, c);
        auto other = signIn(c, admin.username);
        int limited = 0;
        std::string retryAfter;
        for (int i = 0; i < 12; ++i) {
            auto r = c.get("/api/v1/auth/me", bearer(admin.accessToken));
            if (r.status == 429) {
                ++limited;
                retryAfter = r.header("Retry-After");
                CPPUNIT_ASSERT_EQUAL(std::string("RATE_LIMITED"), r.errorCode());
            }
        }
        // 5 pass and 7 wait; should a minute boundary fall in between, one
        // side of it still holds 6 or more requests.
        CPPUNIT_ASSERT(limited >= 1 && limited <= 7);
        CPPUNIT_ASSERT(!retryAfter.empty());
        // The budget is per session: another session is not affected.
        CPPUNIT_ASSERT_EQUAL(200, c.get("/api/v1/auth/me", bearer(other.accessToken)).status);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokenTest);
