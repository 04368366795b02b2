#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "clinic/Json.h"

namespace clinic {

/// One page's items and, when another page follows, the cursor to it.
struct IdCursorItems {
    Poco::JSON::Array::Ptr items;
    std::optional<std::int64_t> next;
};

/// Rows read with an id cursor: "... WHERE id > ? ORDER BY id" bound to
/// page.cursor, with limit(page.limit + 1) so that one row more than the page
/// says whether another page follows. Each of the first page.limit rows
/// becomes its JSON through item (a null Ptr leaves the row out, e.g. one the
/// caller may not see); next is the id (idOf) of the page's last row read,
/// shown or not, when that one more row exists.
template<class Row, class Item, class IdOf>
IdCursorItems idCursorItems(const PageRequest& page, const std::vector<Row>& rows, Item item, IdOf idOf)
{
    IdCursorItems out {new Poco::JSON::Array, std::nullopt};
    const std::size_t shown = std::min(rows.size(), page.limit);
    for (std::size_t i = 0; i < shown; ++i)
        if (Poco::JSON::Object::Ptr json = item(rows[i]))
            out.items->add(json);
    if (page.limit > 0 && rows.size() > page.limit)
        out.next = idOf(rows[page.limit - 1]);
    return out;
}

/// The list answer {"items", "next_cursor"} for such rows.
template<class Row, class Item, class IdOf>
Poco::JSON::Object::Ptr idCursorPage(
    const PageRequest& page, const std::vector<Row>& rows, Item item, IdOf idOf)
{
    auto found = idCursorItems(page, rows, item, idOf);
    return listPage(found.items, found.next);
}

/// The same two for Poco::Tuple rows whose first column is the id.
template<class Row, class Item>
IdCursorItems idCursorItems(const PageRequest& page, const std::vector<Row>& rows, Item item)
{
    return idCursorItems(
        page, rows, item, [](const Row& row) { return static_cast<std::int64_t>(row.template get<0>()); });
}

template<class Row, class Item>
Poco::JSON::Object::Ptr idCursorPage(const PageRequest& page, const std::vector<Row>& rows, Item item)
{
    auto found = idCursorItems(page, rows, item);
    return listPage(found.items, found.next);
}

} // namespace clinic
