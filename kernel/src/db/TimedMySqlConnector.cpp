#include "db/TimedMySqlConnector.h"

#ifdef CLINICD_WITH_MYSQL

#include <mutex>
#include <set>
#include <utility>

#include <mysql.h>

// Connector/C's transport header: installed with libmariadb-dev, and the one
// way to change the timeouts of a connection that is already open (the
// options only apply at connect time).
#include <ma_pvio.h>

#include <Poco/Data/MySQL/Connector.h>
#include <Poco/Data/MySQL/SessionImpl.h>
#include <Poco/Data/SessionFactory.h>

namespace clinic {

namespace {

class TimedMySqlConnector : public Poco::Data::Connector {
public:
    TimedMySqlConnector(std::string name, int connectSeconds, int ioSeconds)
        : _name(std::move(name))
        , _connectSeconds(connectSeconds)
        , _ioSeconds(ioSeconds)
    {
    }

    const std::string& name() const override { return _name; }

    Poco::AutoPtr<Poco::Data::SessionImpl> createSession(
        const std::string& connectionString, std::size_t) override
    {
        // The login timeout becomes MYSQL_OPT_CONNECT_TIMEOUT, which also
        // bounds the wait for the server's greeting on an accepted socket.
        auto* impl = new Poco::Data::MySQL::SessionImpl(connectionString, _connectSeconds);
        Poco::AutoPtr<Poco::Data::SessionImpl> session(impl);
        setMySqlIoTimeout(static_cast<MYSQL*>(impl->handle()), _ioSeconds);
        return session;
    }

private:
    std::string _name;
    int _connectSeconds;
    int _ioSeconds;
};

} // namespace

void setMySqlIoTimeout(void* mysqlHandle, int seconds)
{
    auto* mysql = static_cast<MYSQL*>(mysqlHandle);
    MARIADB_PVIO* pvio = mysql ? mysql->net.pvio : nullptr;
    if (!pvio || !pvio->methods || !pvio->methods->set_timeout)
        return;
    pvio->methods->set_timeout(pvio, PVIO_READ_TIMEOUT, seconds);
    pvio->methods->set_timeout(pvio, PVIO_WRITE_TIMEOUT, seconds);
}

std::string registerTimedMySqlConnector(int connectSeconds, int ioSeconds)
{
    // One connector per pair of limits, so two databases in one process
    // (clinicctl, tests) each keep their own.
    static std::mutex mutex;
    static std::set<std::pair<int, int>> registered;
    const std::string name
        = "clinic-mysql-" + std::to_string(connectSeconds) + "-" + std::to_string(ioSeconds);
    std::lock_guard<std::mutex> lock(mutex);
    if (registered.empty())
        Poco::Data::MySQL::Connector::registerConnector(); // mysql_library_init
    if (registered.insert({connectSeconds, ioSeconds}).second)
        Poco::Data::SessionFactory::instance().add(new TimedMySqlConnector(name, connectSeconds, ioSeconds));
    return name;
}

} // namespace clinic

#else

#include <stdexcept>

namespace clinic {

std::string registerTimedMySqlConnector(int, int)
{
    throw std::invalid_argument("db.url: this clinicd was built without MySQL support");
}

} // namespace clinic

#endif
