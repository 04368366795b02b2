// HTTPS as a clinic deploys it: a certificate from the config, TLS 1.2 or
// newer only, HSTS on every answer, and no plain-HTTP answer on the TLS port.

#include <cppunit/extensions/HelperMacros.h>

#include "IntegrationSupport.h"

using namespace clinic::test;

namespace {

/// A self-signed certificate for localhost and 127.0.0.1, made with the
/// openssl command line as an administrator would.
struct SelfSignedCert {
    TempDir dir;
    std::string cert = dir.file("cert.pem");
    std::string key = dir.file("key.pem");

    SelfSignedCert()
    {
        auto r = runProcess("openssl",
            {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
            {}, "", 60);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.out + r.err, 0, r.exitCode);
    }
};

Daemon::Options tlsDaemon(const SelfSignedCert& cert)
{
    Daemon::Options o;
    o.config["http.tls.cert"] = cert.cert;
    o.config["http.tls.key"] = cert.key;
    return o;
}

/// openssl s_client limited to one protocol version. The client's security
/// level is lowered to 0 so that only the server can be the one refusing an
/// old protocol (OpenSSL 3 clients refuse TLS 1.1 by themselves otherwise).
ProcessResult sClient(int port, const std::string& versionFlag, const std::string& caFile)
{
    return runProcess("openssl",
        {"s_client", "-connect", "127.0.0.1:" + std::to_string(port), versionFlag, "-cipher",
            "DEFAULT@SECLEVEL=0", "-CAfile", caFile, "-verify_return_error", "-servername", "localhost"},
        {}, "Q\n", 30);
}

} // namespace

class TlsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TlsTest);
    CPPUNIT_TEST(httpsClientVerifyingTheCertGets200WithHsts);
    CPPUNIT_TEST(plainHttpOnTheTlsPortGetsNoHttpAnswer);
    CPPUNIT_TEST(tls11IsRefusedWhileTls12Works);
    CPPUNIT_TEST(daemonRefusesToStartWithAnUnreadableKey);
    CPPUNIT_TEST_SUITE_END();

public:
    void httpsClientVerifyingTheCertGets200WithHsts()
    {
        SelfSignedCert cert;
        Daemon d(tlsDaemon(cert));
        auto c = d.client(cert.cert);
        auto r = c.get("/health/live");
        CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, 200, r.status);
        const std::string hsts = r.header("Strict-Transport-Security");
        CPPUNIT_ASSERT_MESSAGE(hsts, hsts.find("max-age=") == 0);
        // Errors too, since a terminal may first meet the server through one.
        auto missing = c.get("/api/v1/nothing");
        assertEnvelope(missing, 404, "NOT_FOUND");
        CPPUNIT_ASSERT(!missing.header("Strict-Transport-Security").empty());
    }

    void plainHttpOnTheTlsPortGetsNoHttpAnswer()
    {
        SelfSignedCert cert;
        Daemon d(tlsDaemon(cert));
        const std::string answer = rawExchange(
            d.port(), "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 5);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find("200 OK") == std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(answer, answer.find("\"status\":\"ok\"") == std::string::npos);
        // ... and the TLS side is unharmed by it.
        auto c = d.client(cert.cert);
        CPPUNIT_ASSERT_EQUAL(200, c.get("/health/live").status);
    }

    void tls11IsRefusedWhileTls12Works()
    {
        SelfSignedCert cert;
        Daemon d(tlsDaemon(cert));
        auto old = sClient(d.port(), "-tls1_1", cert.cert);
        CPPUNIT_ASSERT_MESSAGE(old.out + old.err, old.exitCode != 0);
        auto tls12 = sClient(d.port(), "-tls1_2", cert.cert);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tls12.out + tls12.err, 0, tls12.exitCode);
        CPPUNIT_ASSERT_MESSAGE(tls12.out, tls12.out.find("TLSv1.2") != std::string::npos);
        CPPUNIT_ASSERT_MESSAGE(tls12.out, tls12.out.find("Verify return code: 0 (ok)") != std::string::npos);
        auto tls13 = sClient(d.port(), "-tls1_3", cert.cert);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(tls13.out + tls13.err, 0, tls13.exitCode);
    }

    void daemonRefusesToStartWithAnUnreadableKey()
    {
        SelfSignedCert cert;
        writeFile(cert.key, "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
        Daemon::Options o = tlsDaemon(cert);
        o.waitLive = false;
        Daemon d(o);
        const int code = d.waitExit(20);
        CPPUNIT_ASSERT_MESSAGE(d.log(), code != 0 && code != -1);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TlsTest);
