-- A pediatric practice inside a general clinic: pediatricians see only
-- patients under 18, and patients under 18 see only pediatricians.

local base_before_book = before_book
local ADULT_AGE = 18

local function is_pediatrician(doctor)
  return doctor ~= nil and type(doctor.specialty) == "string"
    and string.lower(doctor.specialty) == "pediatrics"
end

function before_book(ctx)
  local age = ctx.patient and ctx.patient.age
  if is_pediatrician(ctx.doctor) then
    if type(age) ~= "number" or age >= ADULT_AGE then
      return false, "pediatricians see patients under 18 only"
    end
  elseif type(age) == "number" and age < ADULT_AGE then
    return false, "patients under 18 are seen by a pediatrician"
  end
  if base_before_book then
    return base_before_book(ctx)
  end
  return true
end
