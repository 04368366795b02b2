// A test-only plugin for the durable jobs suites: job kinds whose runs are
// recorded in the plugin's own table (UNIQUE job_id, so a second run of a job
// cannot commit unnoticed), a route to schedule them, and an event
// subscriber. Built into the build's plugin directory, never installed.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <Poco/Data/Session.h>

#include "clinic/Host.h"
#include "clinic/Json.h"
#include "clinic/Plugin.h"

using namespace Poco::Data::Keywords;

namespace {

class JobsTestPlugin : public clinic::Plugin {
public:
    std::string name() const override { return "jobstest"; }
    std::string version() const override { return "0.0.1"; }

    std::vector<clinic::Migration> migrations() const override
    {
        return {clinic::Migration(1, "job runs",
            {"CREATE TABLE jobstest_runs (id ${PK}, job_id BIGINT NOT NULL UNIQUE, daemon VARCHAR(64) NOT "
             "NULL,"
             " attempt INT NOT NULL)${TABLE}"})};
    }

    void start(clinic::Host& host) override
    {
        clinic::Host* h = &host;
        _daemon = host.config().getString("jobstest.daemon", std::to_string(::getpid()));

        host.jobs().registerHandler(
            "jobstest.record", [this](const clinic::Job& job, clinic::Transaction& tx) {
                // A slow job widens the window a SIGKILL lands in.
                int sleepMs = job.payload->optValue<int>("sleep_ms", 0);
                if (sleepMs > 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(sleepMs));
                Poco::Int64 id = job.id;
                int attempt = job.attempt;
                tx.session() << "INSERT INTO jobstest_runs (job_id, daemon, attempt) VALUES (?, ?, ?)",
                    use(id), use(_daemon), use(attempt), now;
            });

        clinic::JobOptions flaky;
        flaky.maxAttempts = 3;
        flaky.backoffBaseSeconds = 0.2;
        host.jobs().registerHandler(
            "jobstest.flaky",
            [](const clinic::Job& job, clinic::Transaction&) {
                throw std::runtime_error("flaky attempt " + std::to_string(job.attempt));
            },
            flaky);

        host.events().subscribe("jobstest.*", [this](const clinic::Event&) { ++_events; });

        // Body: {kind, count, prefix, delay_ms, sleep_ms, rollback}. All jobs
        // are scheduled in one transaction; rollback: true throws after
        // scheduling them, so none may ever run.
        host.router().add({"POST", "/api/v1/jobstest/schedule", clinic::Access::open(),
            [h](clinic::Request& req) {
                auto body = req.jsonObject();
                std::string kind = body->optValue<std::string>("kind", "jobstest.record");
                int count = body->optValue<int>("count", 1);
                std::string prefix = body->optValue<std::string>("prefix", "k");
                int delayMs = body->optValue<int>("delay_ms", 0);
                int sleepMs = body->optValue<int>("sleep_ms", 0);
                bool rollback = body->optValue<bool>("rollback", false);
                int scheduled = 0;
                try {
                    h->database().transact([&](clinic::Transaction& tx) {
                        scheduled = 0;
                        auto runAt = h->clock().now() + std::chrono::milliseconds(delayMs);
                        for (int i = 0; i < count; ++i) {
                            auto payload = clinic::makeObject();
                            payload->set("sleep_ms", sleepMs);
                            if (h->jobs().schedule(tx, kind, payload, runAt, prefix + std::to_string(i)))
                                ++scheduled;
                        }
                        auto payload = clinic::makeObject();
                        payload->set("count", scheduled);
                        h->events().publish(tx, {"jobstest.scheduled", payload});
                        if (rollback)
                            throw std::runtime_error("rolled back on request");
                    });
                } catch (const std::runtime_error&) {
                    if (!rollback)
                        throw;
                }
                auto out = clinic::makeObject();
                out->set("scheduled", scheduled);
                out->set("rolled_back", rollback);
                return clinic::Response::json(out);
            },
            "jobstest: schedule jobs"});

        host.router().add({"GET", "/api/v1/jobstest/events", clinic::Access::open(),
            [this](clinic::Request&) {
                auto out = clinic::makeObject();
                out->set("events", _events.load());
                return clinic::Response::json(out);
            },
            "jobstest: events this daemon delivered"});
    }

private:
    std::string _daemon;
    std::atomic<int> _events {0};
};

} // namespace

CLINIC_PLUGIN(JobsTestPlugin)
