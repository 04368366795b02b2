#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <utility>

#include "clinic/Http.h"

namespace clinic {

/// Declares the routes of one object whose handlers are its own member
/// functions, one line per route:
///
///     RouteTable<RecordsPlugin> routes(host.router(), *this);
///     routes.add("GET", "/api/v1/patients", roles::staff, &RecordsPlugin::listPatients,
///         "records: list or search patients", Contract().page().returns(200, "patients", listOf(patient)));
///
/// The owner must outlive the routes (a plugin's routes live as long as it).
template<class Owner> class RouteTable {
public:
    using Member = Response (Owner::*)(Request&);

    RouteTable(Router& router, Owner& owner)
        : _add([&router](Route route) { router.add(std::move(route)); })
        , _owner(owner)
    {
    }
    /// For code that receives routes through a callback (the kernel's services).
    RouteTable(std::function<void(Route)> add, Owner& owner)
        : _add(std::move(add))
        , _owner(owner)
    {
    }

    void add(std::string method, std::string pattern, Access access, Member handler, std::string summary,
        Contract contract = {}, std::size_t maxBodyBytes = 0)
    {
        Owner* owner = &_owner;
        _add(Route(
            std::move(method), std::move(pattern), std::move(access),
            [owner, handler](Request& request) { return (owner->*handler)(request); }, std::move(summary),
            std::move(contract), maxBodyBytes));
    }
    /// A route only these roles may call.
    void add(std::string method, std::string pattern, const std::set<std::string>& roles, Member handler,
        std::string summary, Contract contract = {}, std::size_t maxBodyBytes = 0)
    {
        add(std::move(method), std::move(pattern), Access::only(roles), handler, std::move(summary),
            std::move(contract), maxBodyBytes);
    }

private:
    std::function<void(Route)> _add;
    Owner& _owner;
};

} // namespace clinic
