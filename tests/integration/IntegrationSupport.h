#pragma once

// Assertions and probes the kernel's integration suites share.

#include <string>

#include "TestSupport.h"

namespace clinic::test {

/// Asserts r is status in the error envelope with code, that every envelope
/// field is present, and that error.request_id is the X-Request-ID header.
void assertEnvelope(const HttpResult& r, int status, const std::string& code);

/// Asserts the daemon still answers GET /health/live with 200 on a fresh
/// connection.
void assertStillServing(const Daemon& daemon);

/// Rows in example_notes, read straight from the daemon's database (SQLite
/// file or the test MariaDB), not through the API under test.
long countNotes(const Daemon& daemon);

/// Whether a TCP connection to 127.0.0.1:port is accepted.
bool acceptsConnections(int port);

/// A request sent over a raw socket: the full answer as text (status line,
/// headers, body), read until the server closes or timeoutSeconds pass.
std::string rawExchange(int port, const std::string& request, int timeoutSeconds = 10);

/// The status code in an HTTP status line at the start of text, or 0.
int rawStatus(const std::string& text);

} // namespace clinic::test
