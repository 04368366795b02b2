// A test-only plugin: endpoints whose behaviour the kernel's integration
// tests need but no product plugin should offer (a slow request to drain on
// SIGTERM, a handler that throws, an event stream). Built into the build's plugin directory,
// never installed.

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

namespace {

class TestkitPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "testkit"; }
    std::string version() const override { return "0.0.1"; }

    void start(clinic::Host& host) override
    {
        Poco::Logger& log = host.logger();

        // Sleeps ?ms= milliseconds (at most 10 s), logging when it starts so
        // a test knows the request is in flight before it signals the daemon.
        host.router().add({"GET", "/api/v1/testkit/slow", clinic::Access::open(),
            [&log](clinic::Request& req) {
                long ms = 1000;
                if (auto q = req.query("ms"))
                    ms = std::stol(*q);
                ms = std::max(0L, std::min(ms, 10000L));
                log.information("slow request started: %ld ms", ms);
                std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                auto out = clinic::makeObject();
                out->set("slept_ms", static_cast<Poco::Int64>(ms));
                return clinic::Response::json(out);
            },
            "testkit: answer after a delay"});

        // The message carries a marker the tests look for in the response
        // body: an internal error must never leak its text to the client.
        host.router().add({"GET", "/api/v1/testkit/throw", clinic::Access::open(),
            [](clinic::Request&) -> clinic::Response {
                throw std::runtime_error("testkit internal detail LEAK-MARKER-7f3a at /secret/path.cpp:42");
            },
            "testkit: a handler that throws"});

        // An event stream: ?count= "tick" events at once, then it stays open
        // until the client goes; /state tells whether the plugin still sees
        // its client, as a console plugin would before pushing to it.
        host.router().add({"GET", "/api/v1/testkit/events", clinic::Access::open(),
            [this](clinic::Request& req) {
                const auto count = req.queryInt("count", 0, 100).value_or(3);
                return clinic::Response::stream([this, count](std::shared_ptr<clinic::EventStream> stream) {
                    {
                        std::lock_guard<std::mutex> lock(_mutex);
                        _stream = stream;
                    }
                    for (std::int64_t i = 0; i < count; ++i)
                        stream->send("tick", "n=" + std::to_string(i) + "\nsecond line");
                });
            },
            "testkit: an event stream"});
        host.router().add({"GET", "/api/v1/testkit/events/state", clinic::Access::open(),
            [this](clinic::Request&) {
                std::lock_guard<std::mutex> lock(_mutex);
                auto out = clinic::makeObject();
                out->set("opened", _stream != nullptr);
                out->set("connected", _stream && _stream->connected());
                return clinic::Response::json(out);
            },
            "testkit: whether the last event stream's client is still there"});
    }

    void stop() override
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stream.reset();
    }

private:
    std::mutex _mutex;
    std::shared_ptr<clinic::EventStream> _stream;
};

} // namespace

CLINIC_PLUGIN(TestkitPlugin)
