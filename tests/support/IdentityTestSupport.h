#pragma once

// Accounts and tokens for the identity suites: the first admin through
// clinicctl (as on a fresh install), everyone else through the users API.

#include <cstdint>
#include <map>
#include <string>

#include "TestSupport.h"

namespace clinic::test {

/// A password the policy accepts; tests grep the logs and the audit for it.
extern const std::string kPassword;

struct Account {
    std::int64_t id = 0;
    std::string username;
    std::string role;
    std::string accessToken;
    std::string refreshToken;
};

/// {"Authorization": "Bearer <token>"}
std::map<std::string, std::string> bearer(const std::string& token);

/// Creates an admin with clinicctl user add on the daemon's config.
void addAdminWithClinicctl(const Daemon& daemon, const std::string& username, const std::string& password);

/// POST /api/v1/auth/login; the raw answer.
HttpResult login(HttpClient& client, const std::string& username, const std::string& password);

/// Logs in and fails the test unless it answers 200.
Account signIn(HttpClient& client, const std::string& username, const std::string& password = kPassword);

/// The first admin (clinicctl) signed in.
Account firstAdmin(const Daemon& daemon, HttpClient& client, const std::string& username = "root.admin");

/// Creates an account through POST /api/v1/users as admin and signs it in.
Account createAndSignIn(HttpClient& client, const Account& admin, const std::string& username,
    const std::string& role, const std::string& extraJson = "");

/// The database name at the end of a mysql:// URL.
std::string databaseName(const std::string& dbUrl);

/// Runs SQL against the daemon's database (sqlite3 CLI or the test MariaDB);
/// returns {ok, output}.
std::pair<bool, std::string> runSql(const Daemon& daemon, const std::string& sql);

/// runSql that fails the test unless the statement ran; the output without
/// its trailing line break.
std::string sqlOutput(const Daemon& daemon, const std::string& sql);

/// SELECT COUNT(*) FROM table WHERE where, through sqlOutput.
long countRows(const Daemon& daemon, const std::string& table, const std::string& where = "1=1");

/// base64url without padding, and back.
std::string base64Url(const std::string& raw);
std::string unbase64Url(const std::string& text);

} // namespace clinic::test
