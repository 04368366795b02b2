-- A dental clinic: a new patient's first visit is 45 minutes (an
-- examination and an X-ray), and new patients are never booked for the same
-- day (the clinic needs their history first). Install as site-dental.lua:
-- it loads after default.lua (name order) and keeps its notice rule.

local base_before_book = before_book

function slot_length(ctx)
  if ctx.patient and ctx.patient.is_new then
    return 45
  end
  return nil -- the service's own duration
end

function before_book(ctx)
  if ctx.patient and ctx.patient.is_new
      and clinic.date_of(ctx.start_local) == clinic.date_of(ctx.now_local) then
    return false, "new patients cannot be booked for the same day"
  end
  if base_before_book then
    return base_before_book(ctx)
  end
  return true
end
