-- clinicd's default rules: what a clinic gets before it writes its own.
-- The hook contract (ctx fields, return values, failure modes) is in
-- lua/README.md. Files in rules.dir load in name order into one
-- environment: a later file may change `policy` or wrap these hooks.

policy = policy or {}
-- Bookings need this much notice (minutes), from every role.
policy.min_notice_minutes = policy.min_notice_minutes or 60
-- Patients may cancel up to this many hours before the start; staff always.
policy.cancel_until_hours = policy.cancel_until_hours or 24
-- Roles that cancel on the clinic's behalf, at any time before the start.
policy.staff_roles = policy.staff_roles or { admin = true, receptionist = true, doctor = true, nurse = true }
-- Upcoming appointments (pending, confirmed, checked in) a patient booking
-- for themself may hold, so no one can hoard a doctor's month. Staff book
-- past it. false: no cap.
if policy.max_open_bookings == nil then
  policy.max_open_bookings = 8
end

function before_book(ctx)
  local until_start = ctx.minutes_until_start
  if type(until_start) ~= "number" then
    return false, "the booking has no start time"
  end
  if until_start < 0 then
    return false, "the start is in the past"
  end
  if until_start < policy.min_notice_minutes then
    return false, string.format("bookings need at least %d minutes' notice", policy.min_notice_minutes)
  end
  local patient = ctx.patient
  if policy.max_open_bookings and ctx.actor and ctx.actor.role == "patient" and patient
      and type(patient.open_bookings) == "number" and patient.open_bookings >= policy.max_open_bookings then
    return false, string.format("a patient may hold at most %d upcoming appointments; the clinic's reception books more",
      policy.max_open_bookings)
  end
  return true
end

function cancel_policy(ctx)
  local until_start = ctx.minutes_until_start or 0
  if until_start < 0 then
    return { allowed = false, reason = "the appointment has already started" }
  end
  local role = ctx.actor and ctx.actor.role
  if policy.staff_roles[role] then
    return { allowed = true }
  end
  if until_start < policy.cancel_until_hours * 60 then
    return {
      allowed = false,
      reason = string.format("appointments can be cancelled up to %d hours before the start", policy.cancel_until_hours),
    }
  end
  return { allowed = true }
end
