#include "events/EventBusImpl.h"

#include <stdexcept>

#include <Poco/Exception.h>

namespace clinic {

EventBusImpl::EventBusImpl()
    : _log(Poco::Logger::get("clinicd.events"))
    , _subscriptions(std::make_shared<const List>())
{
}

bool EventBusImpl::matches(const std::string& pattern, const std::string& type)
{
    if (pattern == "*")
        return true;
    if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
        return type.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0
            && type.size() > pattern.size() - 1;
    return pattern == type;
}

void EventBusImpl::subscribeAs(const std::string& owner, const std::string& pattern, EventHandler handler)
{
    if (pattern.empty() || !handler)
        throw std::invalid_argument("event subscription needs a type pattern and a handler");
    auto sub = std::make_shared<const Subscription>(Subscription {owner, pattern, std::move(handler)});
    std::lock_guard<std::mutex> lock(_mutex);
    auto next = std::make_shared<List>(*_subscriptions);
    next->push_back(std::move(sub));
    _subscriptions = std::move(next);
}

void EventBusImpl::clear()
{
    std::lock_guard<std::mutex> lock(_mutex);
    _subscriptions = std::make_shared<const List>();
}

void EventBusImpl::publish(Transaction& tx, Event event)
{
    if (event.type.empty())
        throw std::invalid_argument("an event needs a type");
    ChangeLog* log = nullptr;
    std::shared_ptr<std::function<void()>> recorded;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        log = _changeLog;
        recorded = _recorded;
    }
    // Through the publisher's transaction (or its savepoint): the row commits
    // or rolls back with the change it describes.
    if (log) {
        log->append(tx, event);
        if (recorded && *recorded)
            tx.afterCommit([recorded] { (*recorded)(); });
    }
    // Each attempt of Database::transact has its own Transaction, so a retried
    // function's earlier publish is dropped with its attempt: delivered once.
    tx.afterCommit([this, e = std::move(event)] { deliver(e); });
}

void EventBusImpl::declare(const std::string& type, EventVisibility visibility)
{
    if (type.empty() || type.size() > 64)
        throw std::invalid_argument("an event type is 1 to 64 bytes: \"" + type + "\"");
    ChangeLog* log = nullptr;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        log = _changeLog;
        _declared[type] = visibility;
    }
    if (log)
        log->declare(type, std::move(visibility));
}

void EventBusImpl::recordTo(ChangeLog* log)
{
    std::map<std::string, EventVisibility> declared;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        _changeLog = log;
        declared = _declared;
    }
    if (log)
        for (auto& [type, v] : declared)
            log->declare(type, v);
}

void EventBusImpl::onRecorded(std::function<void()> committed)
{
    std::lock_guard<std::mutex> lock(_mutex);
    _recorded = std::make_shared<std::function<void()>>(std::move(committed));
}

void EventBusImpl::deliver(const Event& event)
{
    std::shared_ptr<const List> subs;
    {
        std::lock_guard<std::mutex> lock(_mutex);
        subs = _subscriptions;
    }
    for (const auto& sub : *subs) {
        if (!matches(sub->pattern, event.type))
            continue;
        try {
            sub->handler(event);
        } catch (const Poco::Exception& e) {
            _log.error("subscriber of %s (%s) failed on %s: %s", sub->pattern, sub->owner, event.type,
                e.displayText());
        } catch (const std::exception& e) {
            _log.error("subscriber of %s (%s) failed on %s: %s", sub->pattern, sub->owner, event.type,
                std::string(e.what()));
        } catch (...) {
            _log.error("subscriber of %s (%s) failed on %s: unknown exception", sub->pattern, sub->owner,
                event.type);
        }
    }
}

void StagedEventBus::subscribe(const std::string& pattern, EventHandler handler)
{
    if (pattern.empty() || !handler)
        throw std::invalid_argument("event subscription needs a type pattern and a handler");
    _staged.emplace_back(pattern, std::move(handler));
}

void StagedEventBus::declare(const std::string& type, EventVisibility visibility)
{
    if (type.empty() || type.size() > 64)
        throw std::invalid_argument("an event type is 1 to 64 bytes: \"" + type + "\"");
    _declared.emplace_back(type, std::move(visibility));
}

void StagedEventBus::commit()
{
    for (auto& [type, visibility] : _declared)
        _bus.declare(type, std::move(visibility));
    _declared.clear();
    for (auto& [pattern, handler] : _staged)
        _bus.subscribeAs(_owner, pattern, std::move(handler));
    _staged.clear();
}

} // namespace clinic
