#include "TestSupport.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include "MariaDbServer.h"

namespace clinic::test {

std::string buildDir()
{
    return CLINICD_BUILD_DIR;
}
std::string sourceDir()
{
    return CLINICD_SOURCE_DIR;
}
std::string binary(const std::string& name)
{
    return buildDir() + "/bin/" + name;
}
std::string pluginDir()
{
    return buildDir() + "/lib/plugins";
}

std::string backend()
{
    const char* b = std::getenv("CLINICD_TEST_BACKEND");
    return b && *b ? b : "sqlite";
}

int freePort()
{
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    int port = socket.address().port();
    socket.close();
    return port;
}

TempDir::TempDir()
{
    char pattern[] = "/tmp/clinicd-test-XXXXXX";
    if (!::mkdtemp(pattern))
        throw std::runtime_error("mkdtemp failed");
    _path = pattern;
    ::chmod(_path.c_str(), 0755);
}

TempDir::~TempDir()
{
    try {
        if (!std::getenv("CLINICD_TEST_KEEP"))
            Poco::File(_path).remove(true);
    } catch (...) {
    }
}

void writeFile(const std::string& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        throw std::runtime_error("cannot write " + path);
    out << content;
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Poco::JSON::Object::Ptr HttpResult::json() const
{
    Poco::JSON::Parser parser;
    auto v = parser.parse(body);
    auto o = v.extract<Poco::JSON::Object::Ptr>();
    if (!o)
        throw std::runtime_error("not a JSON object: " + body);
    return o;
}

std::string HttpResult::header(const std::string& name) const
{
    std::string lower = name;
    for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
}

std::string HttpResult::errorCode() const
{
    try {
        auto o = json();
        auto e = o->getObject("error");
        return e ? e->getValue<std::string>("code") : std::string();
    } catch (...) {
        return {};
    }
}

struct HttpClient::Session {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
};

HttpClient::HttpClient(std::string host, int port, bool https, std::string caFile)
    : _host(std::move(host))
    , _port(port)
    , _https(https)
    , _caFile(std::move(caFile))
{
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResult HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
    const std::map<std::string, std::string>& headers, const std::string& contentType)
{
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!_session) {
            _session = std::make_unique<Session>();
            if (_https) {
                Poco::Net::initializeSSL();
                Poco::Net::Context::Ptr ctx;
                if (_caFile.empty())
                    ctx = new Poco::Net::Context(
                        Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_NONE);
                else
                    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", _caFile,
                        Poco::Net::Context::VERIFY_STRICT);
                _session->session = std::make_unique<Poco::Net::HTTPSClientSession>(
                    _host, static_cast<Poco::UInt16>(_port), ctx);
            } else {
                _session->session
                    = std::make_unique<Poco::Net::HTTPClientSession>(_host, static_cast<Poco::UInt16>(_port));
            }
            _session->session->setTimeout(Poco::Timespan(_timeoutSeconds, 0));
            _session->session->setKeepAlive(true);
        }
        try {
            Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
            for (const auto& [k, v] : _defaultHeaders)
                req.set(k, v);
            for (const auto& [k, v] : headers)
                req.set(k, v);
            if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
                req.setContentType(contentType);
                req.setContentLength(static_cast<std::streamsize>(body.size()));
            }
            std::ostream& out = _session->session->sendRequest(req);
            out.write(body.data(), static_cast<std::streamsize>(body.size()));
            Poco::Net::HTTPResponse res;
            std::istream& in = _session->session->receiveResponse(res);
            HttpResult result;
            result.status = static_cast<int>(res.getStatus());
            Poco::StreamCopier::copyToString(in, result.body);
            for (const auto& [k, v] : res) {
                std::string lower = k;
                for (auto& c : lower)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                result.headers[lower] = v;
            }
            if (!res.getKeepAlive())
                _session.reset();
            return result;
        } catch (const Poco::Exception&) {
            // A keep-alive connection the server closed: one fresh try.
            _session.reset();
            if (attempt == 1)
                throw;
        }
    }
    throw std::logic_error("unreachable");
}

namespace {

int decodeStatus(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env, int stdinFd, int stdoutFd, int stderrFd)
{
    std::vector<std::string> argvStore;
    argvStore.push_back(program);
    argvStore.insert(argvStore.end(), args.begin(), args.end());
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0) {
        // Tests run with signals in default disposition and unblocked.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        if (stdinFd >= 0)
            ::dup2(stdinFd, 0);
        if (stdoutFd >= 0)
            ::dup2(stdoutFd, 1);
        if (stderrFd >= 0)
            ::dup2(stderrFd, 2);
        for (const auto& [k, v] : env)
            ::setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : argvStore)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(program.c_str(), argv.data());
        ::execvp(program.c_str(), argv.data());
        std::fprintf(stderr, "cannot exec %s: %s\n", program.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    return pid;
}

} // namespace

ProcessResult runProcess(const std::string& program, const std::vector<std::string>& args,
    const std::map<std::string, std::string>& env, const std::string& input, int timeoutSeconds)
{
    TempDir dir;
    writeFile(dir.file("in"), input);
    int in = ::open(dir.file("in").c_str(), O_RDONLY | O_CLOEXEC);
    int out = ::open(dir.file("out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = ::open(dir.file("err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = spawn(program, args, env, in, out, err);
    ::close(in);
    ::close(out);
    ::close(err);
    ProcessResult result;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            result.exitCode = decodeStatus(status);
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            result.exitCode = 128 + SIGKILL;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    result.out = readFile(dir.file("out"));
    result.err = readFile(dir.file("err"));
    return result;
}

std::string freshDatabaseUrl(const std::string& dir)
{
    if (backend() == "mariadb") {
        static std::mt19937 rng(std::random_device {}());
        static int counter = 0;
        std::string name = "clinicd_t" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_"
            + std::to_string(rng() % 100000);
        return MariaDbServer::shared().createDatabase(name);
    }
    return "sqlite:" + dir + "/clinicd.db";
}

bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (fn())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fn();
}

Daemon::Daemon()
    : Daemon(Options {})
{
}

Daemon::Daemon(Options options)
    : _options(std::move(options))
{
    _dir = std::make_unique<TempDir>();
    _dataDir = _options.dataDir.empty() ? _dir->file("data") : _options.dataDir;
    Poco::File(_dataDir).createDirectories();
    _configFile = _dir->file("clinicd.properties");
    _logFile = _dir->file("clinicd.log");
    _dbUrl = !_options.dbUrl.empty()      ? _options.dbUrl
        : _options.config.count("db.url") ? _options.config.at("db.url")
                                          : freshDatabaseUrl(_dataDir);
    start();
}

void Daemon::start()
{
    _port = freePort();
    std::map<std::string, std::string> config = {
        {"http.address", "127.0.0.1"},
        {"http.port", std::to_string(_port)},
        {"data.dir", _dataDir},
        {"plugins.dir", pluginDir()},
        {"plugins.load", ""},
        {"rules.dir", sourceDir() + "/lua/rules"},
        {"db.url", _dbUrl},
        {"log.level", "debug"},
        {"log.format", "plain"},
        {"http.drain_seconds", "5"},
    };
    for (const auto& [k, v] : _options.config)
        config[k] = v;
    if (config["http.port"] != std::to_string(_port))
        _port = std::stoi(config["http.port"]);
    std::string text;
    for (const auto& [k, v] : config)
        text += k + " = " + v + "\n";
    writeFile(_configFile, text);

    int err = ::open(_logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::vector<std::string> args = {"--config=" + _configFile};
    args.insert(args.end(), _options.args.begin(), _options.args.end());
    _pid = spawn(binary("clinicd"), args, _options.env, devnull, err, err);
    ::close(err);
    ::close(devnull);
    _exitCode = -1;
    if (!_options.waitLive)
        return;
    HttpClient c("127.0.0.1", _port, config.count("http.tls.cert") && !config["http.tls.cert"].empty());
    c.setTimeout(2);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(_options.startTimeoutSeconds);
    for (;;) {
        if (!running())
            throw std::runtime_error(
                "clinicd exited with " + std::to_string(_exitCode) + " while starting; its log:\n" + log());
        try {
            if (c.get("/health/live").status == 200)
                return;
        } catch (const std::exception&) {
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("clinicd did not come up in time; its log:\n" + log());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Daemon::~Daemon()
{
    if (_pid > 0 && running())
        stop(SIGTERM, 15);
    if (std::getenv("CLINICD_TEST_VERBOSE"))
        std::fprintf(stderr, "---- clinicd log ----\n%s\n", log().c_str());
}

HttpClient Daemon::client(const std::string& caFile) const
{
    std::string text = readFile(_configFile);
    bool https = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("http.tls.cert = ", 0) == 0 && line.size() > 16)
            https = true;
    return HttpClient("127.0.0.1", _port, https, caFile);
}

HttpClient Daemon::adminClient()
{
    if (_adminToken.empty()) {
        const std::string password = "harness-admin-password-1";
        auto add = runProcess(binary("clinicctl"),
            {"--config=" + _configFile, "user", "add", "--username", "harness.admin", "--role", "admin",
                "--password-stdin"},
            {}, password + "\n");
        // 73: the account exists already (a daemon restarted on the same database).
        if (add.exitCode != 0 && add.exitCode != 73)
            throw std::runtime_error("clinicctl user add failed: " + add.err);
        HttpClient c = client();
        auto r = c.post(
            "/api/v1/auth/login", "{\"username\":\"harness.admin\",\"password\":\"" + password + "\"}");
        if (r.status != 200)
            throw std::runtime_error("admin login failed: " + std::to_string(r.status) + " " + r.body);
        _adminToken = r.json()->getValue<std::string>("access_token");
    }
    HttpClient c = client();
    c.setDefaultHeaders({{"Authorization", "Bearer " + _adminToken}});
    return c;
}

std::string Daemon::log() const
{
    return readFile(_logFile);
}

bool Daemon::running()
{
    if (_pid <= 0)
        return false;
    int status = 0;
    pid_t r = ::waitpid(_pid, &status, WNOHANG);
    if (r == _pid) {
        _exitCode = decodeStatus(status);
        _pid = -1;
        return false;
    }
    return r == 0;
}

void Daemon::signal(int sig)
{
    if (_pid > 0)
        ::kill(_pid, sig);
}

int Daemon::waitExit(int timeoutSeconds)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    while (running()) {
        if (std::chrono::steady_clock::now() > deadline)
            return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return _exitCode;
}

int Daemon::stop(int sig, int timeoutSeconds)
{
    if (!running())
        return _exitCode;
    ::kill(_pid, sig);
    int code = waitExit(timeoutSeconds);
    if (code == -1 && _pid > 0) {
        ::kill(_pid, SIGKILL);
        int status = 0;
        ::waitpid(_pid, &status, 0);
        _exitCode = decodeStatus(status);
        _pid = -1;
        return _exitCode;
    }
    return code;
}

namespace {
// A function-local static: skipAll() may run from another file's static
// initializer, before a namespace-scope string here would be constructed.
std::string& skipReason()
{
    static std::string reason;
    return reason;
}
} // namespace

void skipAll(const std::string& reason)
{
    skipReason() = reason;
}

const std::string& pendingSkip()
{
    return skipReason();
}

} // namespace clinic::test
