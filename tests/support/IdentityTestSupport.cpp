#include "IdentityTestSupport.h"

#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <cppunit/extensions/HelperMacros.h>

#include "MariaDbServer.h"

namespace clinic::test {

const std::string kPassword = "Correct-Horse-Battery-42";

std::map<std::string, std::string> bearer(const std::string& token)
{
    return {{"Authorization", "Bearer " + token}};
}

void addAdminWithClinicctl(const Daemon& daemon, const std::string& username, const std::string& password)
{
    auto r = runProcess(binary("clinicctl"),
        {"--config=" + daemon.configFile(), "user", "add", "--username", username, "--role", "admin",
            "--password-stdin"},
        {}, password + "\n");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.exitCode);
}

HttpResult login(HttpClient& client, const std::string& username, const std::string& password)
{
    auto body = Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    body->set("username", username);
    body->set("password", password);
    std::ostringstream out;
    body->stringify(out);
    return client.post("/api/v1/auth/login", out.str());
}

Account signIn(HttpClient& client, const std::string& username, const std::string& password)
{
    auto r = login(client, username, password);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
    auto o = r.json();
    Account a;
    a.accessToken = o->getValue<std::string>("access_token");
    a.refreshToken = o->getValue<std::string>("refresh_token");
    auto user = o->getObject("user");
    a.id = user->getValue<std::int64_t>("id");
    a.username = user->getValue<std::string>("username");
    a.role = user->getValue<std::string>("role");
    return a;
}

Account firstAdmin(const Daemon& daemon, HttpClient& client, const std::string& username)
{
    addAdminWithClinicctl(daemon, username, kPassword);
    return signIn(client, username);
}

Account createAndSignIn(HttpClient& client, const Account& admin, const std::string& username,
    const std::string& role, const std::string& extraJson)
{
    std::string body = "{\"username\":\"" + username + "\",\"role\":\"" + role + "\",\"password\":\""
        + kPassword + "\"" + (extraJson.empty() ? "" : "," + extraJson) + "}";
    auto r = client.post("/api/v1/users", body, bearer(admin.accessToken));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 201, r.status);
    return signIn(client, username);
}

std::string databaseName(const std::string& dbUrl)
{
    auto slash = dbUrl.rfind('/');
    std::string name = dbUrl.substr(slash + 1);
    auto q = name.find('?');
    return q == std::string::npos ? name : name.substr(0, q);
}

std::pair<bool, std::string> runSql(const Daemon& daemon, const std::string& sql)
{
    if (backend() == "mariadb") {
        try {
            return {true, MariaDbServer::shared().sql("USE " + databaseName(daemon.dbUrl()) + ";\n" + sql)};
        } catch (const std::exception& e) {
            return {false, e.what()};
        }
    }
    const std::string file = daemon.dbUrl().substr(std::string("sqlite:").size());
    // Waits for the daemon's own writes (a job, a login) like the daemon
    // waits for its other writers, instead of failing on "database is locked".
    auto r = runProcess("/usr/bin/sqlite3", {"-cmd", ".timeout 5000", file}, {}, sql + "\n");
    return {r.exitCode == 0 && r.err.empty(), r.out + r.err};
}

std::string sqlOutput(const Daemon& daemon, const std::string& sql)
{
    auto r = runSql(daemon, sql);
    CPPUNIT_ASSERT_MESSAGE(r.second, r.first);
    std::string out = r.second;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
        out.pop_back();
    return out;
}

long countRows(const Daemon& daemon, const std::string& table, const std::string& where)
{
    return std::stol(sqlOutput(daemon, "SELECT COUNT(*) FROM " + table + " WHERE " + where + ";"));
}

std::string base64Url(const std::string& raw)
{
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << raw;
    encoder.close();
    return out.str();
}

std::string unbase64Url(const std::string& text)
{
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::string out;
    char c;
    while (decoder.get(c))
        out += c;
    return out;
}

} // namespace clinic::test
