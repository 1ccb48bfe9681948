-- Argo CD health check for tekton.dev/PipelineRun (Argo CD runs Lua 5.1; `obj` is the live object).
-- Healthy once the Succeeded condition is True; Degraded when it is False (failed, timed out,
-- cancelled); Progressing while it is Unknown (running, pending) or not reported yet.
local hs = { status = "Progressing", message = "Waiting for the PipelineRun to start" }
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Succeeded" then
      local reason = condition.reason or condition.status or ""
      if condition.message ~= nil and condition.message ~= "" then
        hs.message = reason .. ": " .. condition.message
      else
        hs.message = reason
      end
      if condition.status == "True" then
        hs.status = "Healthy"
      elseif condition.status == "False" then
        hs.status = "Degraded"
      else
        hs.status = "Progressing"
      end
    end
  end
end
return hs
