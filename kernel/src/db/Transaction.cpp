#include "clinic/Database.h"

using namespace Poco::Data::Keywords;

namespace clinic {

std::int64_t Transaction::lastInsertId()
{
    Poco::Int64 id = 0;
    if (_dialect == Dialect::SQLite)
        _session << "SELECT last_insert_rowid()", into(id), now;
    else
        _session << "SELECT LAST_INSERT_ID()", into(id), now;
    return id;
}

} // namespace clinic
