-- A clinic with a cancellation fee: cancelling is always possible before the
-- start, but within 24 hours of it the patient owes half the service's
-- price. Cancellations by the clinic itself (a doctor or an admin) are
-- free. Reminders go 24 hours before by email and 2 hours before by SMS.

local FEE_WINDOW_MINUTES = 24 * 60
local FEE_PERCENT = 50
local CLINIC_ROLES = { admin = true, doctor = true, nurse = true, receptionist = true }

function cancel_policy(ctx)
  local until_start = ctx.minutes_until_start or 0
  if until_start < 0 then
    return { allowed = false, reason = "the appointment has already started" }
  end
  local role = ctx.actor and ctx.actor.role
  if until_start < FEE_WINDOW_MINUTES and not CLINIC_ROLES[role] then
    local price = (ctx.service and ctx.service.price_minor) or 0
    return { allowed = true, fee_minor = price * FEE_PERCENT // 100 }
  end
  return { allowed = true }
end

function reminders(ctx)
  return {
    { offset_minutes = 24 * 60, channel = "email" },
    { offset_minutes = 2 * 60, channel = "sms" },
  }
end
