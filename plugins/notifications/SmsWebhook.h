#pragma once

#include <string>

#include "clinic/Host.h"

namespace notifications {

/// Digits with a leading + kept: "+40 700-000 001" -> "+40700000001", the
/// form SMS rows are addressed in and replies are matched by.
std::string normalizePhone(const std::string& phone);

/// True if signature is "sha256=<hex HMAC-SHA256 of body under secret>",
/// compared in constant time. An empty secret matches nothing.
bool validSignature(const std::string& secret, const std::string& body, const std::string& signature);

/// POST /api/v1/notifications/sms/webhook (delivery reports and replies) and
/// the replies kept for reception.
void addSmsWebhook(clinic::Host& host, const std::string& secret);

} // namespace notifications
