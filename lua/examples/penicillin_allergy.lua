-- A recorded allergy stops every medicine of the ATC class it names: a
-- penicillin allergy stops amoxicillin (J01CA04) and every other penicillin
-- (J01C...). Allergies are the patient's record (ctx.patient.allergies), as
-- written there, matched without regard to case ("Penicillin (rash)" counts).

local previous_before_prescribe = before_prescribe

-- Allergy word -> the ATC classes it rules out (prefixes of the level-5 code).
local ALLERGY_CLASSES = {
  penicillin = { "J01C" },                  -- beta-lactam antibacterials, penicillins
  cephalosporin = { "J01DB", "J01DC", "J01DD", "J01DE" },
  sulfonamide = { "J01E" },
  macrolide = { "J01FA" },
  nsaid = { "M01A" },
}

local function classes_for(allergy)
  local text = string.lower(allergy)
  local found = {}
  for word, classes in pairs(ALLERGY_CLASSES) do
    if string.find(text, word, 1, true) then
      for _, class in ipairs(classes) do found[#found + 1] = class end
    end
  end
  return found
end

function before_prescribe(ctx)
  for _, allergy in ipairs(ctx.patient.allergies or {}) do
    for _, class in ipairs(classes_for(allergy)) do
      for _, item in ipairs(ctx.items) do
        if item.atc and string.sub(item.atc, 1, #class) == class then
          return false, string.format("recorded allergy \"%s\": %s (%s) is in ATC class %s",
            allergy, item.drug, item.atc, class)
        end
      end
    end
  end
  if previous_before_prescribe then
    return previous_before_prescribe(ctx)
  end
  return true
end
