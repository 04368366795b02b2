#include "ServiceUser.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace clinic {

namespace {

std::string realPath(const std::string& path)
{
    char buffer[PATH_MAX];
    return ::realpath(path.c_str(), buffer) ? std::string(buffer) : path;
}

std::string withoutTrailingSlash(std::string path)
{
    while (path.size() > 1 && path.back() == '/')
        path.pop_back();
    return path;
}

[[noreturn]] void fail(const std::string& what)
{
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

} // namespace

std::string ServiceUser::adopt(const std::string& dataDir)
{
    if (::geteuid() != 0)
        return "";
    const std::string dir = withoutTrailingSlash(dataDir);
    struct stat st { };
    const bool exists = ::stat(dir.c_str(), &st) == 0;
    if (exists && st.st_uid != 0) {
        const passwd* owner = ::getpwuid(st.st_uid);
        const std::string name = owner ? owner->pw_name : std::to_string(st.st_uid);
        const gid_t gid = owner ? owner->pw_gid : st.st_gid;
        // Groups first, then the group id, then the user id: once the user
        // id is dropped the others can no longer be changed.
        if (owner ? ::initgroups(owner->pw_name, gid) != 0 : ::setgroups(0, nullptr) != 0)
            fail("cannot take the supplementary groups of " + name);
        if (::setgid(gid) != 0)
            fail("cannot change to the group of " + name);
        if (::setuid(st.st_uid) != 0)
            fail("cannot change to the user " + name);
        if (::setuid(0) == 0)
            throw std::runtime_error("dropping root for " + name + " did not hold");
        if (owner && owner->pw_dir)
            ::setenv("HOME", owner->pw_dir, 1);
        return "running as " + name + ", the owner of " + dir;
    }
    const passwd* service = ::getpwnam(kName);
    if (!service || !service->pw_dir || realPath(withoutTrailingSlash(service->pw_dir)) != realPath(dir))
        return "";
    if (!exists)
        throw std::runtime_error(dir + " does not exist; the package makes it for the " + std::string(kName)
            + " user (systemd-tmpfiles --create clinicd.conf). Run clinicctl once it exists.");
    throw std::runtime_error(dir + " is owned by root, but clinicd runs as the " + std::string(kName)
        + " user and could not write what clinicctl made there as root. Give it back with chown -R " + kName
        + ":" + kName + " " + dir + " and run clinicctl again (it then works as " + kName + ").");
}

} // namespace clinic
