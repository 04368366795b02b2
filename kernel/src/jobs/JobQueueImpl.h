#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Logger.h>

#include "clinic/Host.h"
#include "clinic/Jobs.h"
#include "clinic/Migration.h"

namespace clinic {

class DatabaseImpl;

/// The jobs table, as kernel migrations numbered from firstVersion (one
/// CREATE per step: MariaDB commits DDL implicitly).
std::vector<Migration> jobsMigrations(int firstVersion);

struct JobSettings {
    int workers = 2;
    int pollMs = 500;
    int leaseSeconds = 60;
    /// Jobs one worker claims per transaction.
    int batch = 8;
};

/// Rows of the jobs table by kind and state, for the metrics gauges. Done
/// jobs are left out: they only accumulate, and the range on the state index
/// then reads only the live queue.
struct JobStats {
    struct Row {
        std::string kind;
        std::string state;
        std::int64_t count = 0;
    };
    std::vector<Row> rows;
    /// Age of the oldest queued job that is due, on the daemon's clock; 0 if none.
    double oldestDueAgeSeconds = 0;
};

/// The durable job queue over the jobs table, and the daemon's workers.
///
/// Claiming: one transaction selects due jobs of kinds this daemon handles
/// (queued with run_at <= now, or running with an expired lease) - on MariaDB
/// FOR UPDATE SKIP LOCKED, on SQLite under BEGIN IMMEDIATE - and marks them
/// running with this daemon's lease. Each job then runs in its own
/// transaction that also marks it done, guarded by the lease (owner and
/// attempt number): if another daemon took the job over meanwhile, the
/// handler's work rolls back instead of committing a second time.
class JobQueueImpl : public JobQueue {
public:
    JobQueueImpl(DatabaseImpl& db, const Clock& clock, JobSettings settings);
    ~JobQueueImpl() override;

    bool schedule(Transaction& tx, const std::string& kind, Poco::JSON::Object::Ptr payload,
        std::chrono::system_clock::time_point runAt, const std::string& idempotencyKey) override;
    void registerHandler(const std::string& kind, JobHandler handler, JobOptions options = {}) override
    {
        registerAs("kernel", kind, std::move(handler), options);
    }
    void registerAs(
        const std::string& owner, const std::string& kind, JobHandler handler, JobOptions options);
    bool hasHandler(const std::string& kind) const;
    /// Drops every handler (before the plugins that registered them unload).
    void clearHandlers();

    /// Starts the worker threads (clinicd only, once HTTP is up).
    void start();
    /// Stops the workers: each finishes the job it runs; jobs claimed but not
    /// started go back to the queue. Safe to call twice.
    void stop();

    /// Claims up to max due jobs and runs them on this thread. Returns how
    /// many it claimed. The workers loop on this; tests call it directly.
    int runDue(int max);

    JobStats stats();

    /// This daemon's lease owner name.
    const std::string& owner() const { return _owner; }

    /// The delay before retry number attempt (1-based) under options.
    static double backoffSeconds(const JobOptions& options, int attempt);

private:
    struct Handler {
        std::string owner;
        JobHandler fn;
        JobOptions options;
    };
    struct Claimed {
        Job job;
        int attempts = 0; // the row's attempts column while we hold it
    };

    std::vector<Claimed> claim(int max);
    void run(const Claimed& claimed);
    void recordFailure(const Claimed& claimed, const JobOptions& options, const std::string& error);
    void release(const Claimed& claimed);
    std::shared_ptr<const Handler> handlerFor(const std::string& kind) const;
    std::vector<std::string> kinds() const;
    void wake();
    void workerLoop(int index);
    std::int64_t clockMs() const;
    static std::int64_t realMs();

    DatabaseImpl& _db;
    const Clock& _clock;
    JobSettings _settings;
    Poco::Logger& _log;
    std::string _owner;

    mutable std::mutex _handlersMutex;
    std::map<std::string, std::shared_ptr<const Handler>> _handlers;

    std::mutex _wakeMutex;
    std::condition_variable _wakeCv;
    std::uint64_t _wakeSeq = 0;
    std::atomic<bool> _stopping {false};
    std::vector<std::thread> _workers;
};

/// The queue a plugin sees: schedules straight through, stages handlers
/// until the plugin's start succeeds.
class StagedJobQueue : public JobQueue {
public:
    StagedJobQueue(JobQueueImpl* queue, std::string owner)
        : _queue(queue)
        , _owner(std::move(owner))
    {
    }
    bool schedule(Transaction& tx, const std::string& kind, Poco::JSON::Object::Ptr payload,
        std::chrono::system_clock::time_point runAt, const std::string& idempotencyKey) override;
    void registerHandler(const std::string& kind, JobHandler handler, JobOptions options = {}) override;
    /// Throws if a kind already has a handler, before registering any.
    void check() const;
    /// Hands the staged handlers to the queue.
    void commit();

private:
    JobQueueImpl& queue() const;

    JobQueueImpl* _queue;
    std::string _owner;
    std::vector<std::tuple<std::string, JobHandler, JobOptions>> _staged;
};

} // namespace clinic
