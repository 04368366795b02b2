-- Children's doses by weight: for a patient under 18, the daily dose of a
-- medicine with a weight-based maximum (mg per kg of body weight per day,
-- by ATC code) may not exceed it. The weight is the latest one in the
-- patient's vitals (ctx.patient.weight_kg); the daily dose is the item's
-- dose_mg times doses_per_day (ctx.items[i].daily_mg). Without either, the
-- doctor is warned that the dose could not be checked.

local previous_before_prescribe = before_prescribe

local CHILD_AGE = 18
local MAX_MG_PER_KG_DAY = {
  N02BE01 = 60, -- paracetamol
  M01AE01 = 30, -- ibuprofen
  J01CA04 = 90, -- amoxicillin
}

function before_prescribe(ctx)
  local answer, reason = true, nil
  if previous_before_prescribe then
    answer, reason = previous_before_prescribe(ctx)
  end
  if answer == false then
    return false, reason
  end
  local warnings = (type(answer) == "table" and answer.warnings) or {}
  local age, weight = ctx.patient.age, ctx.patient.weight_kg
  if type(age) == "number" and age < CHILD_AGE then
    for _, item in ipairs(ctx.items) do
      local per_kg = item.atc and MAX_MG_PER_KG_DAY[item.atc]
      if per_kg then
        if type(weight) ~= "number" or type(item.daily_mg) ~= "number" then
          warnings[#warnings + 1] = string.format(
            "%s for a child: the daily dose could not be checked (needs a weight in the vitals, dose_mg and doses_per_day)",
            item.drug)
        else
          local max = per_kg * weight
          if item.daily_mg > max then
            return false, string.format(
              "%s: %.0f mg a day is more than %.0f mg, the maximum for a child of %.1f kg (%d mg/kg/day)",
              item.drug, item.daily_mg, max, weight, per_kg)
          end
        end
      end
    end
  end
  if #warnings > 0 then
    return { warnings = warnings }
  end
  return answer
end
