#pragma once

// Test support for clinicd: start the real daemon on a free loopback port,
// talk HTTP(S) to it, run commands, make temporary directories.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace clinic::test {

/// The build tree (for bin/, lib/plugins/) and the source tree.
std::string buildDir();
std::string sourceDir();
/// build/bin/NAME
std::string binary(const std::string& name);
/// build/lib/plugins
std::string pluginDir();
/// The backend this run tests: "sqlite" or "mariadb" (CLINICD_TEST_BACKEND).
std::string backend();

/// A loopback TCP port that was free a moment ago.
int freePort();

/// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return _path; }
    /// path()/name
    std::string file(const std::string& name) const { return _path + "/" + name; }

private:
    std::string _path;
};

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

/// An HTTP answer.
struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers; ///< names lower-cased

    /// The body as a JSON object; throws if it is not one.
    Poco::JSON::Object::Ptr json() const;
    std::string header(const std::string& name) const;
    /// error.code of an error envelope, or "" if the body is not one.
    std::string errorCode() const;
};

/// A small blocking HTTP(S) client over real sockets (one connection,
/// reconnecting as needed).
class HttpClient {
public:
    HttpClient(std::string host, int port, bool https = false, std::string caFile = "");
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    HttpResult request(const std::string& method, const std::string& path, const std::string& body = "",
        const std::map<std::string, std::string>& headers = {},
        const std::string& contentType = "application/json");
    HttpResult get(const std::string& path, const std::map<std::string, std::string>& headers = {})
    {
        return request("GET", path, "", headers);
    }
    HttpResult post(const std::string& path, const std::string& body,
        const std::map<std::string, std::string>& headers = {})
    {
        return request("POST", path, body, headers);
    }
    /// Seconds to wait for an answer (default 30).
    void setTimeout(int seconds) { _timeoutSeconds = seconds; }
    /// Headers sent with every request (a request's own headers win).
    void setDefaultHeaders(std::map<std::string, std::string> headers)
    {
        _defaultHeaders = std::move(headers);
    }

private:
    std::string _host;
    int _port;
    bool _https;
    std::string _caFile;
    int _timeoutSeconds = 30;
    std::map<std::string, std::string> _defaultHeaders;
    struct Session;
    std::unique_ptr<Session> _session;
};

/// What a finished command did.
struct ProcessResult {
    int exitCode = -1; ///< the exit status, or 128+signal if it was killed
    std::string out;
    std::string err;
};

/// Runs a program to completion (killed after timeoutSeconds), with extra
/// environment variables and text on its standard input.
ProcessResult runProcess(const std::string& program, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env = {}, const std::string& input = "",
    int timeoutSeconds = 120);

/// The real clinicd binary, started on a free loopback port with its own
/// data directory and config file. On the mariadb backend it gets a fresh
/// database on the test's private MariaDB server.
class Daemon {
public:
    struct Options {
        /// Keys written to the config file (over the harness's own: http.port,
        /// data.dir, plugins.dir, db.url, log.level).
        std::map<std::string, std::string> config;
        /// Extra environment variables.
        std::map<std::string, std::string> env;
        /// Extra command-line arguments.
        std::vector<std::string> args;
        /// Wait for /health/live before returning (else just start it).
        bool waitLive = true;
        /// Reuse this data directory (and database) instead of a fresh one.
        std::string dataDir;
        /// Use this db.url instead of the backend's fresh database.
        std::string dbUrl;
        /// Seconds to wait for liveness.
        int startTimeoutSeconds = 30;
    };

    Daemon();
    explicit Daemon(Options options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    int port() const { return _port; }
    pid_t pid() const { return _pid; }
    const std::string& dataDir() const { return _dataDir; }
    const std::string& configFile() const { return _configFile; }
    const std::string& dbUrl() const { return _dbUrl; }
    /// A client for this daemon (HTTPS if the config set a certificate).
    HttpClient client(const std::string& caFile = "") const;
    /// A client that sends an admin's bearer token with every request. The
    /// first call makes the admin account with clinicctl user add, as on a
    /// fresh install, and signs it in.
    HttpClient adminClient();
    /// Everything the daemon wrote to stderr so far.
    std::string log() const;
    bool running();
    /// Sends a signal.
    void signal(int sig);
    /// Sends sig and waits up to timeoutSeconds; returns the exit code
    /// (128+signal if killed by one). SIGKILLs it if it does not stop.
    int stop(int sig = 15, int timeoutSeconds = 30);
    /// Waits for the process to exit by itself; returns its exit code, or -1 on timeout.
    int waitExit(int timeoutSeconds);

private:
    void start();

    Options _options;
    std::unique_ptr<TempDir> _dir;
    std::string _dataDir;
    std::string _configFile;
    std::string _logFile;
    std::string _dbUrl;
    int _port = 0;
    pid_t _pid = -1;
    int _exitCode = -1;
    std::string _adminToken;
};

/// A fresh database URL for the current backend: a new SQLite file under dir,
/// or a new database on the shared private MariaDB server.
std::string freshDatabaseUrl(const std::string& dir);

/// Polls fn every 20 ms until it returns true or timeout passes.
bool eventually(
    const std::function<bool()>& fn, std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Hook for the CppUnit main: a suite can ask to be skipped (exit 77) with a
/// visible reason, e.g. when mariadb-server is not installed.
void skipAll(const std::string& reason);

} // namespace clinic::test
