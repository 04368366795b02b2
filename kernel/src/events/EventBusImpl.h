#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Logger.h>

#include "clinic/Events.h"
#include "events/ChangeLog.h"

namespace clinic {

/// The daemon's one event bus. Subscribers are kept with their owner (a
/// plugin name, "kernel") so a throwing one is named in the log.
class EventBusImpl : public EventBus {
public:
    EventBusImpl();

    void publish(Transaction& tx, Event event) override;
    void subscribe(const std::string& pattern, EventHandler handler) override
    {
        subscribeAs("kernel", pattern, std::move(handler));
    }
    void subscribeAs(const std::string& owner, const std::string& pattern, EventHandler handler);
    void declare(const std::string& type, EventVisibility visibility) override;

    /// From now on publish() also writes each event's change-log row through
    /// the publisher's transaction and, once it commits, calls committed (the
    /// live feed's wake-up). Set once, before any plugin starts.
    void recordTo(ChangeLog* log);
    void onRecorded(std::function<void()> committed);

    /// Delivers now, on this thread (publish() calls it after the commit).
    void deliver(const Event& event);

    /// Drops every subscription (before the plugins that made them unload).
    void clear();

    /// True if pattern selects type: exact, "prefix.*" or "*".
    static bool matches(const std::string& pattern, const std::string& type);

private:
    struct Subscription {
        std::string owner;
        std::string pattern;
        EventHandler handler;
    };
    using List = std::vector<std::shared_ptr<const Subscription>>;

    Poco::Logger& _log;
    ChangeLog* _changeLog = nullptr;
    std::shared_ptr<std::function<void()>> _recorded;
    std::map<std::string, EventVisibility> _declared;
    std::mutex _mutex;
    // Copied on write so delivery runs without the lock: a subscriber may
    // publish or subscribe itself.
    std::shared_ptr<const List> _subscriptions;
};

/// The bus a plugin sees: publishes straight through, stages subscriptions
/// until the plugin's start succeeds.
class StagedEventBus : public EventBus {
public:
    StagedEventBus(EventBusImpl& bus, std::string owner)
        : _bus(bus)
        , _owner(std::move(owner))
    {
    }
    void publish(Transaction& tx, Event event) override { _bus.publish(tx, std::move(event)); }
    void subscribe(const std::string& pattern, EventHandler handler) override;
    void declare(const std::string& type, EventVisibility visibility) override;
    /// Hands the staged subscriptions and declarations to the bus.
    void commit();

private:
    EventBusImpl& _bus;
    std::string _owner;
    std::vector<std::pair<std::string, EventHandler>> _staged;
    std::vector<std::pair<std::string, EventVisibility>> _declared;
};

} // namespace clinic
