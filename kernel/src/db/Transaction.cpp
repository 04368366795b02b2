#include <sqlite3.h>

#include <Poco/Data/SQLite/Utility.h>

#include "clinic/Database.h"

using namespace Poco::Data::Keywords;

namespace clinic {

std::int64_t Transaction::lastInsertId()
{
    // SQLite keeps the value on the connection: read it there rather than
    // prepare and run a SELECT for every insert that needs its id.
    if (_dialect == Dialect::SQLite)
        return sqlite3_last_insert_rowid(Poco::Data::SQLite::Utility::dbHandle(_session));
    Poco::Int64 id = 0;
    _session << "SELECT LAST_INSERT_ID()", into(id), now;
    return id;
}

} // namespace clinic
