// A plugin's routes as the HTTP front end calls them, in process: the real
// kernel and plugins on a private SQLite database with the demo clinic
// loaded, and any bytes as the path parameters, query string and body of any
// of the plugin's routes, by any role. A handler may refuse (4xx) but never
// fail: a 5xx or an exception the front end would answer as 500 is a bug.
//
// Built once per plugin: FUZZ_PLUGIN names it, FUZZ_PLUGINS_LOAD what it
// needs loaded. Input: byte 0 picks the route, byte 1 the role, then one
// line of path parameter text, one line of query string, then the body.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/URI.h>
#include <openssl/hmac.h>

#include "Kernel.h"
#include "config/Settings.h"

namespace {

struct Harness {
    ~Harness()
    {
        // Plugins stop first, as in clinicd: their threads (the outbox
        // dispatcher) use the kernel until then.
        if (kernel)
            kernel->shutdown();
        kernel.reset();
        if (!dir.empty())
            Poco::File(dir).remove(true);
    }
    std::string dir; ///< the database and data directory, removed at exit
    std::unique_ptr<clinic::Kernel> kernel;
    std::vector<const clinic::Route*> routes;
    std::string webhookSecret = "fuzz-webhook-secret";
};

void setUp(Harness& made)
{
    Poco::Logger::root().setLevel(Poco::Message::PRIO_FATAL);
    char dirTemplate[] = "/tmp/clinicd-fuzz-XXXXXX";
    const std::string dir = ::mkdtemp(dirTemplate);
    made.dir = dir;
    std::ofstream(dir + "/webhook.secret") << made.webhookSecret << "\n";
    std::map<std::string, std::string> settings = {
        {"db.url", "sqlite:" + dir + "/clinic.db"},
        {"data.dir", dir + "/data"},
        {"plugins.dir", FUZZ_PLUGIN_DIR},
        {"plugins.load", FUZZ_PLUGINS_LOAD},
        {"rules.dir", FUZZ_SOURCE_DIR "/lua/rules"},
        {"notifications.sms.webhook_secret_file", dir + "/webhook.secret"},
        {"log.level", "fatal"},
    };
    std::map<std::string, std::string> noEnvironment;
    made.kernel = std::make_unique<clinic::Kernel>(clinic::Settings::load("", settings, &noEnvironment));
    made.kernel->openDatabase();
    made.kernel->loadPlugins();
    made.kernel->migratePlugins();
    made.kernel->startPlugins();
    made.kernel->loadDemoData(FUZZ_SOURCE_DIR "/data/demo");
    for (const auto& p : made.kernel->plugins().plugins())
        if (p->state != "started")
            __builtin_trap(); // the harness itself is broken
    for (const auto& r : made.kernel->router().routes()) {
        // Uploads store each body as a file: millions of them would fill the disk.
        if (r->owner != FUZZ_PLUGIN || r->route.pattern.find("/documents") != std::string::npos)
            continue;
        made.routes.push_back(&r->route);
    }
    if (made.routes.empty())
        __builtin_trap();
    // Which byte 0 picks which route, for writing seeds.
    if (std::getenv("FUZZ_LIST_ROUTES"))
        for (std::size_t i = 0; i < made.routes.size(); ++i) {
            std::string roles;
            for (const auto& role : made.routes[i]->access.roles)
                roles += (roles.empty() ? "" : ",") + role;
            std::fprintf(stderr, "%zu %s %s %s\n", i, made.routes[i]->method.c_str(),
                made.routes[i]->pattern.c_str(), roles.empty() ? "any" : roles.c_str());
        }
}

Harness& harness()
{
    static Harness h;
    if (!h.kernel)
        setUp(h);
    return h;
}

std::string hexHmac(const std::string& secret, const std::string& body)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[mac[i] >> 4];
        out += digits[mac[i] & 15];
    }
    return out;
}

std::string takeLine(std::string& rest)
{
    const auto end = rest.find('\n');
    std::string line = rest.substr(0, end);
    rest = end == std::string::npos ? std::string() : rest.substr(end + 1);
    return line;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    harness();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const char* const kRoles[] = {"admin", "doctor", "nurse", "receptionist", "patient"};
    Harness& h = harness();
    if (size < 2)
        return 0;
    const clinic::Route& route = *h.routes[data[0] % h.routes.size()];
    std::string rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::string paramText = takeLine(rest);
    const std::string query = takeLine(rest);

    clinic::Request req;
    req.method = route.method;
    req.routePattern = route.pattern;
    req.path = route.pattern;
    req.requestId = "fuzz";
    req.clientAddress = "127.0.0.1";
    // The pattern's {name} segments, each given the same text.
    for (std::size_t open = route.pattern.find('{'); open != std::string::npos;
         open = route.pattern.find('{', open + 1)) {
        const auto close = route.pattern.find('}', open);
        req.pathParams[route.pattern.substr(open + 1, close - open - 1)] = paramText;
    }
    try {
        Poco::URI uri("/?" + query);
        for (const auto& [k, v] : uri.getQueryParameters())
            req.queryParams.emplace(k, v);
    } catch (const Poco::Exception&) {
        return 0; // the front end answers 400 before any route
    }
    req.body = rest;
    req.headers["content-type"] = "application/json";
    // Signed as the SMS gateway would, unless the role byte's top bit says not.
    if (!(data[1] & 0x80))
        req.headers["x-signature"] = "sha256=" + hexHmac(h.webhookSecret, req.body);
    if (!route.access.isPublic) {
        const std::string role = kRoles[(data[1] & 0x7F) % 5];
        if (!route.access.roles.empty() && !route.access.roles.count(role))
            return 0; // refused before the handler runs
        req.caller.authenticated = true;
        req.caller.userId = 1;
        req.caller.username = "fuzz";
        req.caller.role = role;
        req.caller.doctorId = role == "doctor" ? 1 : 0;
        req.caller.patientId = role == "patient" ? 1 : 0;
    }
    std::string failure;
    try {
        clinic::Response res = route.handler(req);
        if (res.status >= 500)
            failure = "answered " + std::to_string(res.status);
    } catch (const clinic::HttpError& e) {
        // 503 is an honest "try again" (a busy database), not a fault.
        if (e.status() >= 500 && e.status() != 503)
            failure = std::to_string(e.status()) + " " + e.code() + ": " + e.what();
    } catch (const Poco::Exception& e) {
        failure = "exception: " + e.displayText(); // the front end would answer 500
    } catch (const std::exception& e) {
        failure = std::string("exception: ") + e.what();
    }
    if (!failure.empty()) {
        std::fprintf(stderr, "%s %s (%s): %s\n", route.method.c_str(), route.pattern.c_str(),
            req.caller.role.c_str(), failure.c_str());
        __builtin_trap();
    }
    return 0;
}
