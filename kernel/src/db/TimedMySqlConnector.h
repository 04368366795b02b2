#pragma once

#include <string>

namespace clinic {

/// Registers (once per process) the "clinic-mysql" connector: POCO's MySQL
/// sessions with a connect timeout and a read/write timeout on every
/// session's socket. POCO 1.11 offers neither through its connection
/// string, and its pool opens sessions with a 60 s login timeout and no I/O
/// limit at all, so a MariaDB server that stops answering (SIGSTOP, a cut
/// network path) would hold every request that touches it for ever.
/// Returns the connector's name for Poco::Data::SessionPool.
std::string registerTimedMySqlConnector(int connectSeconds, int ioSeconds);

#ifdef CLINICD_WITH_MYSQL
/// Sets the read and write timeouts of an open MariaDB connection (seconds;
/// 0 leaves them unlimited). Used to ping with a short limit.
void setMySqlIoTimeout(void* mysqlHandle, int seconds);
#endif

} // namespace clinic
