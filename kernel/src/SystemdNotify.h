#pragma once

#include <string>

namespace clinic {

/// Sends a state line (READY=1, STOPPING=1, WATCHDOG=1, STATUS=...) to
/// systemd's $NOTIFY_SOCKET; does nothing when not run by systemd.
/// The protocol is one datagram, so no libsystemd is needed.
bool notifySystemd(const std::string& state);

/// The watchdog interval systemd asked for, in microseconds; 0 if none.
long long systemdWatchdogMicros();

} // namespace clinic
