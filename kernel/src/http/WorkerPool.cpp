#include "http/WorkerPool.h"

#include <Poco/Logger.h>

namespace clinic {

WorkerPool::WorkerPool(int threads, int queueLimit)
    : _queueLimit(static_cast<std::size_t>(queueLimit > 0 ? queueLimit : 1))
{
    for (int i = 0; i < threads; ++i)
        _threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool()
{
    stop();
}

bool WorkerPool::submit(Task task)
{
    {
        std::lock_guard<std::mutex> lock(_mutex);
        if (_stopping || _queue.size() >= _queueLimit)
            return false;
        _queue.push_back(std::move(task));
    }
    _ready.notify_one();
    return true;
}

void WorkerPool::stop()
{
    std::deque<Task> dropped;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _stopping = true;
        dropped.swap(_queue);
    }
    _ready.notify_all();
    for (auto& t : _threads)
        if (t.joinable())
            t.join();
    _threads.clear();
}

void WorkerPool::run()
{
    for (;;) {
        Task task;
        {
            std::unique_lock<std::mutex> lock(_mutex);
            _ready.wait(lock, [this] { return _stopping || !_queue.empty(); });
            if (_stopping)
                return;
            task = std::move(_queue.front());
            _queue.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            // Tasks answer their own errors; one escaping here is a bug, and
            // the worker must outlive it.
            Poco::Logger::get("clinicd.http").error("a request task failed: %s", std::string(e.what()));
        } catch (...) {
            Poco::Logger::get("clinicd.http").error("a request task failed with a non-standard exception");
        }
    }
}

} // namespace clinic
