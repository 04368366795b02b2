#include "config/Settings.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include "db/DbUrl.h"
#include "http/TrustedProxies.h"

extern char** environ;

namespace clinic {

namespace {

#ifndef CLINICD_DEFAULT_PLUGIN_DIR
#define CLINICD_DEFAULT_PLUGIN_DIR "/usr/lib/clinicd/plugins"
#endif

using T = SettingSpec::Type;

std::vector<SettingSpec> makeCatalogue()
{
    return {
        {"http.address", "127.0.0.1", T::String, 0, 0, {}, "address to listen on"},
        {"http.port", "8080", T::Integer, 0, 65535, {}, "TCP port to listen on"},
        {"http.tls.cert", "", T::String, 0, 0, {}, "PEM certificate: HTTPS when set with http.tls.key"},
        {"http.tls.key", "", T::String, 0, 0, {}, "PEM private key for http.tls.cert"},
        {"http.threads", "16", T::Integer, 1, 1024, {},
            "request worker threads (idle connections hold none)"},
        {"http.queue", "1024", T::Integer, 1, 100000, {},
            "requests waiting for a worker; beyond it 503 SERVER_BUSY"},
        {"http.max_body_bytes", "1048576", T::Integer, 0, 1073741824, {}, "largest request body (413 above)"},
        {"http.timeout_seconds", "30", T::Integer, 1, 3600, {}, "time to write one response to the client"},
        {"http.keep_alive_seconds", "10", T::Integer, 0, 3600, {},
            "an idle connection closes after this; 0 disables keep-alive"},
        {"http.header_timeout_seconds", "10", T::Integer, 1, 3600, {},
            "request line and headers must arrive within this from their first byte (408 after);"
            " also the grace before the body's minimum rate applies"},
        {"http.body_min_bytes_per_second", "1024", T::Integer, 0, 1073741824, {},
            "a body must arrive at least this fast on average (408 below); 0: no minimum"},
        {"http.max_header_bytes", "16384", T::Integer, 1024, 1048576, {},
            "largest header section (431 above)"},
        {"http.max_connections", "2048", T::Integer, 1, 1000000, {},
            "open client connections in all; beyond it 503 TOO_MANY_CONNECTIONS"},
        {"http.max_connections_per_client", "512", T::Integer, 1, 1000000, {},
            "open connections from one client address; beyond it 503 TOO_MANY_CONNECTIONS"},
        {"http.drain_seconds", "10", T::Integer, 0, 600, {},
            "time in-flight requests get to finish on SIGTERM"},
        {"data.dir", "/var/lib/clinicd", T::String, 0, 0, {}, "data directory (database, documents, keys)"},
        {"db.url", "sqlite:${data.dir}/clinicd.db", T::String, 0, 0, {},
            "sqlite:/path/file.db or mysql://user:pass@host:port/db"},
        {"db.pool.max", "64", T::Integer, 1, 1024, {}, "most open database sessions"},
        {"db.busy_timeout_ms", "5000", T::Integer, 0, 600000, {},
            "SQLite: how long a writer waits for the lock"},
        {"db.synchronous", "FULL", T::Choice, 0, 0, {"FULL", "NORMAL", "EXTRA"},
            "SQLite durability; FULL loses no acknowledged write on power loss"},
        {"db.connect_timeout_seconds", "5", T::Integer, 1, 600, {},
            "MariaDB: how long opening a connection may take (503 DATABASE_UNAVAILABLE after)"},
        {"db.io_timeout_seconds", "30", T::Integer, 0, 3600, {},
            "MariaDB: how long one read or write on a connection may wait; 0: no limit"},
        {"plugins.dir", CLINICD_DEFAULT_PLUGIN_DIR, T::String, 0, 0, {},
            "the only directory plugins load from"},
        {"plugins.load", "", T::String, 0, 0, {}, "comma list of plugins to load, in any order"},
        {"rules.dir", "/etc/clinicd/rules", T::String, 0, 0, {},
            "directory of the clinic's Lua rule scripts"},
        {"rules.instruction_budget", "1000000", T::Integer, 1000, 1000000000, {},
            "Lua instructions one rule call may run before it fails with its hook's failure mode"},
        {"rules.memory_limit_bytes", "16777216", T::Integer, 1048576, 1073741824, {},
            "memory cap of each worker thread's Lua state; an allocation past it fails the call"},
        {"log.level", "information", T::Choice, 0, 0,
            {"fatal", "critical", "error", "warning", "notice", "information", "debug", "trace"},
            "least severe level logged"},
        {"log.format", "auto", T::Choice, 0, 0, {"auto", "plain", "journald"},
            "auto: journald priorities when run by systemd"},
        {"clock.start", "", T::String, 0, 0, {},
            "tests and demos only: the clock starts at this RFC 3339 instant"},
        {"clock.offset_file", "", T::String, 0, 0, {},
            "tests only: a file holding seconds the daemon's clock is moved by, re-read each second"},
        {"demo.dir", "/usr/share/clinicd/demo", T::String, 0, 0, {},
            "the demo clinic (data/demo) clinicctl seed-demo loads"},
        {"http.trusted_proxies", "", T::String, 0, 0, {},
            "comma list of proxy addresses or networks (10.0.0.0/8) whose X-Forwarded-For names the client;"
            " empty: the peer address is the client"},
        {"http.cors_origins", "", T::String, 0, 0, {},
            "comma list of browser origins (https://host:port) allowed to call the API; empty: CORS off"},
        {"retention.interval_minutes", "60", T::Integer, 1, 10080, {},
            "how often the kernel.retention job prunes sessions, refresh tokens and finished jobs"},
        {"retention.sessions_days", "90", T::Integer, 0, 36500, {},
            "days an ended (or expired) session is kept; 0: for ever"},
        {"retention.refresh_tokens_days", "30", T::Integer, 0, 36500, {},
            "days an expired refresh token is kept; 0: for ever"},
        {"retention.jobs_days", "30", T::Integer, 0, 36500, {},
            "days a done or failed job is kept; 0: for ever (the audit trail is never pruned)"},
        {"auth.jwt_secret_file", "", T::String, 0, 0, {},
            "HS256 signing key file (mode 0600, >= 32 bytes), the same for every daemon on one database;"
            " empty: made once in data.dir/jwt.key"},
        {"auth.access_ttl_seconds", "900", T::Integer, 1, 86400, {}, "access token lifetime"},
        {"auth.refresh_ttl_seconds", "2592000", T::Integer, 1, 31536000, {},
            "refresh token lifetime; each use rotates it"},
        {"auth.registration", "false", T::Boolean, 0, 0, {},
            "patient self-registration (POST /api/v1/auth/register); needs the records plugin"},
        {"auth.registration_per_hour", "10", T::Integer, 1, 100000, {},
            "self-registrations per client address per hour (429 beyond)"},
        {"auth.login_max_failures", "5", T::Integer, 1, 100000, {},
            "failed logins per username and client address pair within the window before each further"
            " attempt waits (429), 2 s and doubling up to the window"},
        {"auth.login_max_failures_per_address", "20", T::Integer, 1, 100000, {},
            "no longer used: a per-address limit let one client lock out everyone behind its address"},
        {"auth.login_window_seconds", "60", T::Integer, 1, 86400, {}, "window the login failures count in"},
        {"auth.rate_limit_per_minute", "600", T::Integer, 0, 1000000, {},
            "requests per session per minute, per daemon; 0: no limit"},
        {"access.demographics_roles", "doctor,nurse,receptionist,admin", T::String, 0, 0, {},
            "staff roles that may see patients' demographics (patients always see their own)"},
        {"access.clinical_roles", "doctor,nurse,admin", T::String, 0, 0, {},
            "staff roles that may see patients' clinical data (patients always see their own)"},
        {"access.doctors_own_patients_only", "false", T::Boolean, 0, 0, {},
            "doctors see only patients a plugin says they treat (fails closed without one)"},
        {"jobs.workers", "2", T::Integer, 0, 64, {}, "durable job worker threads in clinicd; 0: run no jobs"},
        {"jobs.poll_ms", "500", T::Integer, 10, 600000, {},
            "how often an idle worker looks for due jobs (a job scheduled here wakes it at once)"},
        {"jobs.lease_seconds", "60", T::Integer, 1, 86400, {},
            "how long a claimed job is reserved; a job whose daemon died runs again after this"},
        {"events.change_log_days", "7", T::Integer, 1, 3650, {},
            "days the change log keeps; an event stream resuming from further back is told to reload"},
        {"events.poll_ms", "250", T::Integer, 10, 10000, {},
            "how often the live feed reads the change log for other daemons' changes (this daemon's wake "
            "it)"},
        {"events.max_streams", "500", T::Integer, 1, 100000, {},
            "open event streams per daemon; beyond it 503 TOO_MANY_STREAMS"},
        {"events.max_streams_per_user", "8", T::Integer, 1, 1000, {},
            "open event streams per account; beyond it 429 RATE_LIMITED"},
        {"events.session_check_seconds", "15", T::Integer, 1, 3600, {},
            "how often an open stream checks that its session is unrevoked and its account active"},
    };
}

bool parseInteger(const std::string& text, std::int64_t& out)
{
    if (text.empty())
        return false;
    return Poco::NumberParser::tryParse64(text, out);
}

} // namespace

const std::vector<SettingSpec>& Settings::catalogue()
{
    static const std::vector<SettingSpec> specs = makeCatalogue();
    return specs;
}

std::string Settings::envName(const std::string& key)
{
    std::string name = "CLINICD_";
    for (char c : key)
        name += (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

Poco::AutoPtr<Poco::Util::LayeredConfiguration> Settings::load(const std::string& configFile,
    const std::map<std::string, std::string>& commandLine, const std::map<std::string, std::string>* env)
{
    Poco::AutoPtr<Poco::Util::LayeredConfiguration> layered(new Poco::Util::LayeredConfiguration);

    Poco::AutoPtr<Poco::Util::MapConfiguration> defaults(new Poco::Util::MapConfiguration);
    for (const auto& spec : catalogue())
        defaults->setString(spec.key, spec.defaultValue);

    std::map<std::string, std::string> environment;
    if (env) {
        environment = *env;
    } else {
        for (char** e = environ; e && *e; ++e) {
            std::string entry(*e);
            auto eq = entry.find('=');
            if (eq != std::string::npos)
                environment[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    // Known keys map exactly; unknown CLINICD_* variables (plugin keys) map by
    // the reverse rule, which cannot express underscores inside a key.
    Poco::AutoPtr<Poco::Util::MapConfiguration> fromEnv(new Poco::Util::MapConfiguration);
    std::map<std::string, std::string> knownEnv;
    for (const auto& spec : catalogue())
        knownEnv[envName(spec.key)] = spec.key;
    for (const auto& [name, value] : environment) {
        if (name.rfind("CLINICD_", 0) != 0 || name == "CLINICD_CONFIG")
            continue;
        auto known = knownEnv.find(name);
        if (known != knownEnv.end()) {
            fromEnv->setString(known->second, value);
        } else {
            std::string key;
            for (char c : name.substr(8))
                key += (c == '_') ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            fromEnv->setString(key, value);
        }
    }

    Poco::AutoPtr<Poco::Util::MapConfiguration> fromCommandLine(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : commandLine)
        fromCommandLine->setString(key, value);

    layered->add(fromCommandLine, 0);
    layered->add(fromEnv, 10);
    if (!configFile.empty()) {
        std::ifstream probe(configFile);
        if (!probe)
            throw Poco::FileNotFoundException("cannot read config file " + configFile);
        layered->add(Poco::AutoPtr<Poco::Util::AbstractConfiguration>(
                         new Poco::Util::PropertyFileConfiguration(configFile)),
            20);
    }
    layered->add(defaults, 30);
    return layered;
}

std::vector<std::string> Settings::validate(const Poco::Util::AbstractConfiguration& config)
{
    std::vector<std::string> problems;
    for (const auto& spec : catalogue()) {
        std::string value;
        try {
            value = config.getString(spec.key);
        } catch (const Poco::Exception& e) {
            problems.push_back(spec.key + ": " + e.displayText());
            continue;
        }
        const std::string shown = "\"" + redacted(spec.key, value) + "\"";
        switch (spec.type) {
        case T::Integer: {
            std::int64_t n = 0;
            if (!parseInteger(value, n) || n < spec.min || n > spec.max)
                problems.push_back(spec.key + ": " + shown + " is not a whole number from "
                    + std::to_string(spec.min) + " to " + std::to_string(spec.max));
            break;
        }
        case T::Boolean:
            if (value != "true" && value != "false")
                problems.push_back(spec.key + ": " + shown + " is not true or false");
            break;
        case T::Choice:
            if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
                std::string list;
                for (const auto& c : spec.choices)
                    list += (list.empty() ? "" : ", ") + c;
                problems.push_back(spec.key + ": " + shown + " is not one of " + list);
            }
            break;
        case T::String:
            break;
        }
    }
    try {
        DbUrl::parse(config.getString("db.url"));
    } catch (const std::exception& e) {
        problems.push_back(std::string("db.url: ") + e.what());
    }
    const bool hasCert = !config.getString("http.tls.cert", "").empty();
    const bool hasKey = !config.getString("http.tls.key", "").empty();
    if (hasCert != hasKey)
        problems.push_back(std::string(hasCert ? "http.tls.key" : "http.tls.cert")
            + ": HTTPS needs both http.tls.cert and http.tls.key");
    for (const char* key : {"http.tls.cert", "http.tls.key"}) {
        std::string path = config.getString(key, "");
        if (!path.empty() && !std::ifstream(path))
            problems.push_back(std::string(key) + ": cannot read " + path);
    }
    const std::string load = config.getString("plugins.load", "");
    std::string current;
    for (char c : load + ",") {
        if (c == ',' || c == ' ') {
            if (!current.empty()) {
                for (char d : current)
                    if (!(std::islower(static_cast<unsigned char>(d))
                            || std::isdigit(static_cast<unsigned char>(d)) || d == '_')) {
                        problems.push_back(
                            "plugins.load: \"" + current + "\" is not a plugin name (a-z, 0-9, _)");
                        break;
                    }
            }
            current.clear();
        } else {
            current += c;
        }
    }
    // A misspelt role would silently lock that role out of patient data.
    for (const char* key : {"access.demographics_roles", "access.clinical_roles"}) {
        std::string role;
        for (char c : config.getString(key, "") + ",") {
            if (c == ',' || c == ' ') {
                if (!role.empty() && role != "admin" && role != "doctor" && role != "nurse"
                    && role != "receptionist" && role != "patient")
                    problems.push_back(std::string(key) + ": \"" + role
                        + "\" is not a role (admin, doctor, nurse, receptionist)");
                role.clear();
            } else {
                role += c;
            }
        }
    }
    try {
        std::vector<std::string> proxies;
        Poco::StringTokenizer tok(config.getString("http.trusted_proxies", ""), ", ",
            Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
        TrustedProxies checked(std::vector<std::string>(tok.begin(), tok.end()));
    } catch (const std::invalid_argument& e) {
        problems.push_back(e.what());
    }
    if (!config.getString("auth.jwt_secret_file", "").empty()
        && !std::ifstream(config.getString("auth.jwt_secret_file", "")))
        problems.push_back(
            "auth.jwt_secret_file: cannot read " + config.getString("auth.jwt_secret_file", ""));
    return problems;
}

std::string Settings::defaultConfigFile()
{
    if (const char* env = std::getenv("CLINICD_CONFIG"))
        return env;
    const std::string etc = "/etc/clinicd/clinicd.properties";
    return std::ifstream(etc) ? etc : std::string();
}

std::pair<std::string, std::string> Settings::parseDefine(const std::string& text)
{
    auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw std::invalid_argument("\"" + text + "\" is not key=value");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

std::string Settings::redacted(const std::string& key, const std::string& value)
{
    if (key == "db.url")
        return DbUrl::redact(value);
    if (key.find("password") != std::string::npos || key.find("secret") != std::string::npos)
        return value.empty() ? value : "****";
    return value;
}

} // namespace clinic
