-- When an appointment nobody checked in for becomes a no-show by itself
-- (the scheduling plugin's no_show_after hook; 15 minutes when no script
-- answers). Install as site-no-show.lua.
--
-- A home visit is never marked automatically (the doctor travels; the
-- front desk decides); a first visit waits 30 minutes (new patients get
-- lost on the way); a long procedure waits a quarter of its length.

function no_show_after(ctx)
  if ctx.service.department == "home care" then
    return false
  end
  if ctx.patient and ctx.patient.is_new then
    return 30
  end
  if ctx.appointment.duration_min >= 120 then
    return ctx.appointment.duration_min // 4
  end
  return nil -- the default, 15 minutes
end
