#include "MariaDbServer.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <Poco/File.h>

#include "TestSupport.h"

namespace clinic::test {

namespace {

std::unique_ptr<MariaDbServer> sharedServer;

std::string findProgram(const std::vector<std::string>& names)
{
    for (const auto& n : names)
        for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"})
            if (::access((std::string(dir) + n).c_str(), X_OK) == 0)
                return std::string(dir) + n;
    return {};
}

bool isRoot()
{
    return ::geteuid() == 0;
}

} // namespace

bool MariaDbServer::installed()
{
    return !findProgram({"mariadbd", "mysqld"}).empty()
        && !findProgram({"mariadb-install-db", "mysql_install_db"}).empty();
}

MariaDbServer& MariaDbServer::shared()
{
    if (!sharedServer)
        sharedServer = std::make_unique<MariaDbServer>();
    return *sharedServer;
}

void MariaDbServer::stopShared()
{
    if (sharedServer)
        sharedServer->stop();
    sharedServer.reset();
}

MariaDbServer::MariaDbServer()
{
    char pattern[] = "/tmp/clinicd-mariadb-XXXXXX";
    if (!::mkdtemp(pattern))
        throw std::runtime_error("mkdtemp failed");
    _dir = pattern;
    ::chmod(_dir.c_str(), 0755);
    _socket = _dir + "/mysqld.sock";
    _port = freePort();
    if (isRoot()) {
        // The server drops to the mysql user, which must own its directory.
        if (passwd* pw = ::getpwnam("mysql"))
            if (::chown(_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error("cannot chown " + _dir + " to mysql");
    }
    // A private tmpdir: the default /tmp is shared with parallel test
    // processes, and install-db's temporary tables have clashed there.
    Poco::File(_dir + "/tmp").createDirectories();
    if (isRoot())
        if (passwd* pw = ::getpwnam("mysql"))
            if (::chown((_dir + "/tmp").c_str(), pw->pw_uid, pw->pw_gid) != 0)
                throw std::runtime_error("cannot chown " + _dir + "/tmp to mysql");
    std::vector<std::string> args = {"--no-defaults", "--datadir=" + _dir + "/data",
        "--tmpdir=" + _dir + "/tmp", "--auth-root-authentication-method=socket", "--skip-test-db"};
    if (isRoot())
        args.push_back("--user=mysql");
    auto init = runProcess(findProgram({"mariadb-install-db", "mysql_install_db"}), args, {}, "", 180);
    if (init.exitCode != 0)
        throw std::runtime_error("mariadb-install-db failed: " + init.out + init.err);
    launch();
}

MariaDbServer::~MariaDbServer()
{
    stop();
    try {
        if (!std::getenv("CLINICD_TEST_KEEP"))
            Poco::File(_dir).remove(true);
    } catch (...) {
    }
}

void MariaDbServer::launch()
{
    std::vector<std::string> argv = {findProgram({"mariadbd", "mysqld"}), "--no-defaults",
        "--datadir=" + _dir + "/data", "--socket=" + _socket, "--port=" + std::to_string(_port),
        "--bind-address=127.0.0.1", "--pid-file=" + _dir + "/mariadbd.pid", "--tmpdir=" + _dir + "/tmp",
        "--log-error=" + _dir + "/error.log", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=48M", "--max-connections=400", "--skip-name-resolve"};
    if (isRoot())
        argv.push_back("--user=mysql");
    _pid = ::fork();
    if (_pid < 0)
        throw std::runtime_error("fork failed");
    if (_pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        int status = 0;
        if (::waitpid(_pid, &status, WNOHANG) == _pid) {
            _pid = -1;
            throw std::runtime_error("mariadbd exited while starting: " + readFile(_dir + "/error.log"));
        }
        auto ping = runProcess(findProgram({"mariadb-admin", "mysqladmin"}),
            {"--no-defaults", "--socket=" + _socket, "-uroot", "ping"}, {}, "", 10);
        if (ping.exitCode == 0)
            return;
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("mariadbd did not answer in 60 s: " + readFile(_dir + "/error.log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string MariaDbServer::sql(const std::string& statements)
{
    auto r = runProcess(findProgram({"mariadb", "mysql"}),
        {"--no-defaults", "--socket=" + _socket, "-uroot", "--batch", "--skip-column-names"}, {}, statements,
        60);
    if (r.exitCode != 0)
        throw std::runtime_error("SQL failed: " + r.err + "\n" + statements);
    return r.out;
}

std::string MariaDbServer::createDatabase(const std::string& name)
{
    // A password with URL-special characters proves clinicd decodes it.
    const std::string password = "pw+" + name.substr(name.size() > 6 ? name.size() - 6 : 0) + "%x";
    sql("CREATE DATABASE `" + name
        + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;\n"
          "CREATE USER '"
        + name + "'@'127.0.0.1' IDENTIFIED BY '" + password
        + "';\n"
          "GRANT ALL ON `"
        + name + "`.* TO '" + name + "'@'127.0.0.1';\n");
    std::string encoded;
    for (char c : password) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            encoded += c;
        else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            encoded += buf;
        }
    }
    return "mysql://" + name + ":" + encoded + "@127.0.0.1:" + std::to_string(_port) + "/" + name;
}

void MariaDbServer::stop()
{
    if (_pid <= 0)
        return;
    ::kill(_pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (::waitpid(_pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    _pid = -1;
}

void MariaDbServer::restart()
{
    stop();
    launch();
}

} // namespace clinic::test
