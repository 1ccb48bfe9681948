-- Argo CD health check for build.openshift.io/Build (Argo CD runs Lua 5.1; `obj` is the live object).
-- Healthy when the build is Complete; Degraded when it Failed, hit an Error or was Cancelled;
-- Progressing while New, Pending or Running, or before the build controller reports a phase.
local hs = { status = "Progressing", message = "Waiting for the build to start" }
if obj.status ~= nil and obj.status.phase ~= nil then
  local phase = obj.status.phase
  local detail = obj.status.message or obj.status.reason
  if detail ~= nil and detail ~= "" then
    hs.message = phase .. ": " .. detail
  else
    hs.message = phase
  end
  if phase == "Complete" then
    hs.status = "Healthy"
  elseif phase == "Failed" or phase == "Error" or phase == "Cancelled" then
    hs.status = "Degraded"
  else
    hs.status = "Progressing"
  end
end
return hs
