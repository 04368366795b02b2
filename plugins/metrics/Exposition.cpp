#include "Exposition.h"

#include <functional>
#include <memory>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "clinic/Host.h"

namespace clinic::metrics {

Exposition::Exposition(prometheus::Registry& registry, ServiceRegistry& services)
    : _registry(registry)
    , _services(services)
{
}

std::string Exposition::render() const
{
    // Looked up on every scrape, not once at start: a lookup is a map find
    // under a mutex, and it keeps working whichever order things were published in.
    if (auto refresh = _services.find<std::function<void()>>("kernel.metrics.refresh"))
        (*refresh)();
    auto families = _registry.Collect();
    // Process figures are computed here rather than kept in the registry, so
    // they are exact at scrape time and a counter (CPU seconds) never has to be
    // faked by incrementing a prometheus::Counter by deltas.
    auto process = _process.collect();
    families.insert(
        families.end(), std::make_move_iterator(process.begin()), std::make_move_iterator(process.end()));
    return prometheus::TextSerializer().Serialize(families);
}

} // namespace clinic::metrics
