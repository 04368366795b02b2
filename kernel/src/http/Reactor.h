#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/Connection.h"
#include "http/HttpOptions.h"

struct sockaddr_storage;

namespace clinic {

class HttpService;
struct HttpMetrics;
class Listener;
class TlsContext;
class WorkerPool;

/// The one thread that owns every client socket (epoll, non-blocking). It
/// reads and checks request heads and bodies, enforces the deadlines and the
/// connection caps, and writes the answers workers prepare; an idle
/// keep-alive connection costs a descriptor and a few bytes, no thread.
class Reactor {
public:
    Reactor(HttpService& service, const HttpOptions& options, HttpMetrics& metrics, Listener& listener,
        const TlsContext* tls, WorkerPool& workers);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    void start();
    /// From a worker: the exchange has its answer, or its body may be read.
    void complete(std::unique_ptr<Exchange> exchange);
    /// Stops accepting, closes idle connections, lets requests under way
    /// finish for up to seconds, then closes the rest. Returns how many
    /// connections were still open when it gave up.
    int stop(int seconds);
    bool draining() const { return _draining; }
    /// What an event stream calls, from any thread, when it has bytes queued;
    /// safe to call after the reactor is gone.
    std::function<void(std::uint64_t)> streamWaker() const;

private:
    using Headers = std::vector<std::pair<std::string, std::string>>;

    void loop();
    void wake();
    void accept();
    void openConnection(int fd, const sockaddr_storage& address);
    void takeCompletions();
    void takeStreamWakes();
    /// Moves what the connection's event stream queued to its output.
    void pump(Connection& c);
    void onCompleted(Connection& c, std::unique_ptr<Exchange> exchange);
    void expireDeadlines();
    void expire(Connection& c, Clock::time_point now);
    void beginDrain();

    /// Does all the I/O the connection can do now, then updates what epoll watches.
    void drive(Connection& c);
    void readInput(Connection& c);
    void parseInput(Connection& c);
    void onHead(Connection& c, RequestHead head);
    void onBodyRead(Connection& c);
    void respond(Connection& c, std::string bytes, bool close, const char* reason);
    /// Answers a request the server refuses itself and closes the connection.
    void refuse(Connection& c, const FramingError& error, const char* reason, const Headers& extra = {});
    void written(Connection& c);
    void linger(Connection& c);
    void close(Connection& c, const char* reason);
    /// Frees the connection's place under the connection caps.
    void uncount(Connection& c);
    void arm(Connection& c, Clock::time_point when);
    void watch(Connection& c);
    bool submit(Connection& c, bool admit);

    HttpService& _service;
    const HttpOptions _options;
    HttpMetrics& _metrics;
    Listener& _listener;
    const TlsContext* _tls;
    WorkerPool& _workers;

    int _epoll = -1;
    int _wakeFd = -1;
    int _spareFd = -1; ///< given up to accept-and-close when descriptors run out
    std::uint64_t _nextId = 2; ///< 0: the listener, 1: the wake-up event
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> _connections;
    std::vector<std::uint64_t> _closed; ///< freed at the end of the loop turn
    std::set<std::pair<Clock::time_point, std::uint64_t>> _deadlines;
    std::unordered_map<std::string, int> _perClient;
    int _counted = 0;

    std::mutex _completionsMutex;
    std::vector<std::unique_ptr<Exchange>> _completions;
    std::vector<std::uint64_t> _streamWakes;
    struct Waker;
    std::shared_ptr<Waker> _waker; ///< outlives the reactor in the streams that hold it

    std::thread _thread;
    std::atomic<bool> _draining {false};
    std::atomic<bool> _forceStop {false};
    bool _drainBegun = false;
    std::mutex _stateMutex;
    std::condition_variable _stateChanged;
    bool _finished = false;
    int _leftOpen = 0;
};

} // namespace clinic
