// Transport: login over HTTPS with a certificate made here, plain HTTP to the
// TLS port gets no answer, security headers, and CORS only for listed origins.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include "IdentityTestSupport.h"

using namespace clinic::test;

namespace {

/// Sends a plain HTTP request to the port and returns whatever comes back
/// as an HTTP answer ("" if none within two seconds).
std::string plainHttpAnswer(int port)
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return "";
    }
    timeval tv {2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const std::string request = "GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    (void)!::write(fd, request.data(), request.size());
    std::string answer;
    char buffer[1024];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return answer.rfind("HTTP/", 0) == 0 ? answer : "";
}

} // namespace

class TransportTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TransportTest);
    CPPUNIT_TEST(loginWorksOverHttpsAndPlainHttpGetsNoAnswer);
    CPPUNIT_TEST(corsIsOffUnlessOriginsAreListed);
    CPPUNIT_TEST_SUITE_END();

public:
    void loginWorksOverHttpsAndPlainHttpGetsNoAnswer()
    {
        TempDir tls;
        auto made = runProcess("/usr/bin/openssl",
            {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls.file("key.pem"), "-out",
                tls.file("cert.pem"), "-days", "2", "-subj", "/CN=localhost", "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1"});
        CPPUNIT_ASSERT_EQUAL_MESSAGE(made.err, 0, made.exitCode);
        Daemon::Options o;
        o.config["http.tls.cert"] = tls.file("cert.pem");
        o.config["http.tls.key"] = tls.file("key.pem");
        Daemon d(o);
        auto c = d.client(tls.file("cert.pem"));
        addAdminWithClinicctl(d, "tls.admin", kPassword);
        auto r = login(c, "tls.admin", kPassword);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        auto me = c.get("/api/v1/auth/me", bearer(r.json()->getValue<std::string>("access_token")));
        CPPUNIT_ASSERT_EQUAL(200, me.status);
        CPPUNIT_ASSERT(me.header("Strict-Transport-Security").find("max-age=") == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("nosniff"), me.header("X-Content-Type-Options"));
        CPPUNIT_ASSERT_EQUAL(std::string("no-store"), me.header("Cache-Control"));

        CPPUNIT_ASSERT_EQUAL(std::string(""), plainHttpAnswer(d.port()));
        // TLS 1.1 is refused.
        auto old = runProcess("/usr/bin/openssl",
            {"s_client", "-connect", "127.0.0.1:" + std::to_string(d.port()), "-tls1_1"}, {}, "", 20);
        CPPUNIT_ASSERT(old.exitCode != 0);
        CPPUNIT_ASSERT(d.running());
    }

    void corsIsOffUnlessOriginsAreListed()
    {
        const std::map<std::string, std::string> preflight = {{"Origin", "https://desk.clinic.lan"},
            {"Access-Control-Request-Method", "POST"}, {"Access-Control-Request-Headers", "content-type"}};
        {
            Daemon d;
            auto c = d.client();
            auto r = c.request("OPTIONS", "/api/v1/auth/login", "", preflight);
            CPPUNIT_ASSERT_EQUAL(405, r.status);
            CPPUNIT_ASSERT_EQUAL(std::string(""), r.header("Access-Control-Allow-Origin"));
            auto get = c.get("/api/v1/time", {{"Origin", "https://desk.clinic.lan"}});
            CPPUNIT_ASSERT_EQUAL(std::string(""), get.header("Access-Control-Allow-Origin"));
        }
        Daemon::Options o;
        o.config["http.cors_origins"] = "https://desk.clinic.lan, https://kiosk.clinic.lan";
        Daemon d(o);
        auto c = d.client();
        auto r = c.request("OPTIONS", "/api/v1/auth/login", "", preflight);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 204, r.status);
        CPPUNIT_ASSERT_EQUAL(std::string("https://desk.clinic.lan"), r.header("Access-Control-Allow-Origin"));
        CPPUNIT_ASSERT(r.header("Access-Control-Allow-Methods").find("POST") != std::string::npos);
        CPPUNIT_ASSERT(r.header("Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
        auto get = c.get("/api/v1/time", {{"Origin", "https://kiosk.clinic.lan"}});
        CPPUNIT_ASSERT_EQUAL(
            std::string("https://kiosk.clinic.lan"), get.header("Access-Control-Allow-Origin"));
        auto stranger = c.get("/api/v1/time", {{"Origin", "https://evil.example"}});
        CPPUNIT_ASSERT_EQUAL(std::string(""), stranger.header("Access-Control-Allow-Origin"));
        auto strangerPreflight = c.request("OPTIONS", "/api/v1/auth/login", "",
            {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
        CPPUNIT_ASSERT(strangerPreflight.status != 204);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransportTest);
