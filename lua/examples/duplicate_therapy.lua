-- Duplicate therapy: a medicine of the same ATC level-4 group (the first
-- five characters, e.g. N02BE "anilides") as one the patient already takes
-- on an active prescription is a warning. The doctor may prescribe anyway by
-- sending override_reason (the override is audited).

local previous_before_prescribe = before_prescribe

local function group(atc)
  if type(atc) == "string" and #atc >= 5 then
    return string.sub(atc, 1, 5)
  end
  return nil
end

function before_prescribe(ctx)
  local answer, reason = true, nil
  if previous_before_prescribe then
    answer, reason = previous_before_prescribe(ctx)
  end
  if answer == false then
    return false, reason
  end
  local warnings = (type(answer) == "table" and answer.warnings) or {}
  for _, item in ipairs(ctx.items) do
    local g = group(item.atc)
    if g then
      for _, taken in ipairs(ctx.active or {}) do
        if group(taken.atc) == g then
          warnings[#warnings + 1] = string.format(
            "duplicate therapy: %s and %s (active prescription %d) are both in ATC group %s",
            item.drug, taken.drug, taken.prescription_id, g)
          break
        end
      end
    end
  end
  if #warnings > 0 then
    return { warnings = warnings }
  end
  return answer
end
