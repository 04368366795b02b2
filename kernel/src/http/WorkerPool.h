#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clinic {

/// The threads that run the request steps which may block: route checks that
/// read the session table, and handlers. They never touch a socket, so a slow
/// or idle client costs none of them.
class WorkerPool {
public:
    using Task = std::function<void()>;

    /// threads workers; at most queueLimit tasks wait for one.
    WorkerPool(int threads, int queueLimit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues a task; false if the queue is full (the caller answers 503).
    bool submit(Task task);
    /// Lets running tasks finish, drops the queued ones and joins the threads.
    void stop();

private:
    void run();

    std::mutex _mutex;
    std::condition_variable _ready;
    std::deque<Task> _queue;
    std::size_t _queueLimit;
    bool _stopping = false;
    std::vector<std::thread> _threads;
};

} // namespace clinic
