#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "clinic/ServiceInterface.h"

namespace clinic {

/// One clinicctl command a plugin adds (e.g. "import-drugs").
struct AdminCommand {
    std::string name; ///< [a-z][a-z0-9-]*, not one of clinicctl's own commands
    std::string usage; ///< "import-drugs FILE.csv"
    std::string summary; ///< one line for clinicctl --help
};

/// Commands a plugin offers the administrator through clinicctl. A plugin
/// publishes it in start() under adminCommandsService(<its name>); clinicctl
/// starts the configured plugins (as seed-demo does) and runs a command that
/// is not its own through the first started plugin offering it. Commands run
/// in clinicctl's process on the daemon's database, never in clinicd.
class CLINIC_SERVICE_INTERFACE AdminCommands {
public:
    virtual ~AdminCommands() = default;

    virtual std::vector<AdminCommand> commands() const = 0;

    /// Runs one of commands() with the arguments after its name. Writes its
    /// report to out and problems to err; returns the process exit code
    /// (0 done, 64 usage, 65 invalid input, 66 missing input, 70 failed).
    virtual int run(const std::string& command, const std::vector<std::string>& args, std::ostream& out,
        std::ostream& err)
        = 0;
};

/// The ServiceRegistry name under which a plugin publishes its AdminCommands.
inline std::string adminCommandsService(const std::string& plugin)
{
    return plugin + ".admin_commands.v1";
}

} // namespace clinic
