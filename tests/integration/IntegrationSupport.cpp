#include "IntegrationSupport.h"

#include <cppunit/extensions/HelperMacros.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/StreamSocket.h>

#include "MariaDbServer.h"

using namespace Poco::Data::Keywords;

namespace clinic::test {

void assertEnvelope(const HttpResult& r, int status, const std::string& code)
{
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, status, r.status);
    Poco::JSON::Object::Ptr error;
    try {
        error = r.json()->getObject("error");
    } catch (const std::exception& e) {
        CPPUNIT_FAIL("not an error envelope: " + r.body);
    }
    CPPUNIT_ASSERT_MESSAGE("no error object: " + r.body, error);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, code, error->getValue<std::string>("code"));
    CPPUNIT_ASSERT_MESSAGE(r.body, !error->getValue<std::string>("message").empty());
    CPPUNIT_ASSERT_MESSAGE("details must be an object: " + r.body, error->getObject("details"));
    const std::string id = r.header("X-Request-ID");
    CPPUNIT_ASSERT_MESSAGE("no X-Request-ID header", !id.empty());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.body, id, error->getValue<std::string>("request_id"));
    CPPUNIT_ASSERT_MESSAGE(r.header("Content-Type"), r.header("Content-Type").find("application/json") == 0);
}

void assertStillServing(const Daemon& daemon)
{
    auto fresh = daemon.client();
    auto live = fresh.get("/health/live");
    CPPUNIT_ASSERT_EQUAL_MESSAGE(live.body, 200, live.status);
}

long countNotes(const Daemon& daemon)
{
    const std::string url = daemon.dbUrl();
    if (url.rfind("sqlite:", 0) == 0) {
        Poco::Data::SQLite::Connector::registerConnector();
        Poco::Data::Session s("SQLite", url.substr(7));
        Poco::Int64 n = -1;
        s << "SELECT COUNT(*) FROM example_notes", into(n), now;
        return static_cast<long>(n);
    }
    const std::string database = url.substr(url.rfind('/') + 1);
    std::string out = MariaDbServer::shared().sql("SELECT COUNT(*) FROM `" + database + "`.example_notes;");
    return std::stol(out);
}

bool acceptsConnections(int port)
{
    try {
        Poco::Net::StreamSocket s;
        s.connect(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(2, 0));
        return true;
    } catch (const Poco::Exception&) {
        return false;
    }
}

std::string rawExchange(int port, const std::string& request, int timeoutSeconds)
{
    Poco::Net::StreamSocket s;
    s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(5, 0));
    s.setReceiveTimeout(Poco::Timespan(timeoutSeconds, 0));
    std::string answer;
    try {
        s.sendBytes(request.data(), static_cast<int>(request.size()));
        char buffer[4096];
        for (;;) {
            int n = s.receiveBytes(buffer, sizeof buffer);
            if (n <= 0)
                break;
            answer.append(buffer, static_cast<std::size_t>(n));
        }
    } catch (const Poco::Exception&) {
        // A reset or timeout ends the answer; what arrived before it counts.
    }
    return answer;
}

int rawStatus(const std::string& text)
{
    if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12)
        return 0;
    try {
        return std::stoi(text.substr(9, 3));
    } catch (...) {
        return 0;
    }
}

} // namespace clinic::test
