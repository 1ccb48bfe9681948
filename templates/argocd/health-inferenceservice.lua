-- Argo CD health check for serving.kserve.io/InferenceService (Argo CD runs Lua 5.1; `obj` is
-- the live object). Written for Argo CD before v3.3.0, whose built-in check counts any False
-- condition as unhealthy: KServe 0.15.1 and later always report `Stopped: False`, so the
-- built-in check never says Healthy. This one reads the conditions as KServe means them:
-- Healthy once Ready is True; Degraded when the model failed to load or the spec is invalid
-- (status.modelStatus.transitionStatus); Progressing otherwise, with the conditions not yet True.
local hs = { status = "Progressing", message = "Waiting for the InferenceService to report its status" }
if obj.status == nil then
  return hs
end
local transition = obj.status.modelStatus and obj.status.modelStatus.transitionStatus or ""
if transition == "BlockedByFailedLoad" or transition == "InvalidSpec" then
  hs.status = "Degraded"
  hs.message = "Model " .. transition
  local failure = obj.status.modelStatus.lastFailureInfo
  if failure ~= nil and failure.message ~= nil and failure.message ~= "" then
    hs.message = hs.message .. ": " .. failure.message
  end
  return hs
end
if obj.status.conditions == nil then
  return hs
end
local pending = {}
for _, condition in ipairs(obj.status.conditions) do
  -- Stopped is False on every running InferenceService: never a sign of trouble.
  if condition.type == "Ready" and condition.status == "True" then
    hs.status = "Healthy"
    hs.message = "InferenceService is ready"
    return hs
  end
  if condition.type ~= "Stopped" and condition.status ~= "True" then
    local text = condition.type .. " is " .. tostring(condition.status)
    if condition.reason ~= nil and condition.reason ~= "" then
      text = text .. " (" .. condition.reason .. ")"
    end
    if condition.message ~= nil and condition.message ~= "" then
      text = text .. ": " .. condition.message
    end
    table.insert(pending, text)
  end
end
if #pending > 0 then
  hs.message = table.concat(pending, "; ")
end
return hs
