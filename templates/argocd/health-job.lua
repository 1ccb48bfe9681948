-- Argo CD health check for batch/Job (Argo CD runs Lua 5.1; `obj` is the live object). It replaces
-- Argo CD's built-in Job health (gitops-engine pkg/health/health_job.go) for every Job, so a Job
-- nbgitops did not make is judged exactly as the built-in does: Failed condition → Degraded with
-- its message, Complete → Healthy, Suspended → Suspended, otherwise Progressing. For an nbgitops
-- validation Job the message says what failed: the validate container's exit code reaches the
-- Failed condition through the Job's FailJob rules ("... failed with exit code 4 matching FailJob
-- rule at index 3", kubernetes pkg/controller/job/pod_failure_policy.go) and is named here
-- (templates/scripts/validate-notebook.py: 1 execution, 2 configuration, 3 validation,
-- 4 golden comparison); `nbgitops results` shows the cells.
local failed, complete, suspended = nil, nil, nil
local message = ""
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Failed" then
      failed = condition
    elseif condition.type == "Complete" then
      complete = condition
      message = condition.message or ""
    elseif condition.type == "Suspended" then
      complete = condition
      message = condition.message or ""
      if condition.status == "True" then suspended = condition end
    end
  end
end
local labels = (obj.metadata ~= nil and obj.metadata.labels) or {}
local ours = labels["app.kubernetes.io/managed-by"] == "nbgitops" and labels["app.kubernetes.io/name"] == "notebook-validation"
if failed ~= nil then
  local text = failed.message or ""
  if ours then
    local code = tonumber(string.match(text, "with exit code (%d+) matching FailJob rule"))
    local meanings = { [1] = "the notebook raised an error", [2] = "the validation is misconfigured",
      [3] = "validation checks failed", [4] = "the output differs from the golden notebook" }
    if code ~= nil and meanings[code] ~= nil then
      text = "notebook validation failed: " .. meanings[code] .. " (exit code " .. code .. "); run `nbgitops results` for the cells"
    elseif failed.reason == "DeadlineExceeded" then
      text = "notebook validation ran past its deadline (activeDeadlineSeconds): " .. text
    else
      text = "notebook validation failed (" .. (failed.reason or "Failed") .. "): " .. text
    end
  end
  return { status = "Degraded", message = text }
end
if complete == nil then
  return { status = "Progressing", message = message }
end
if suspended ~= nil then
  return { status = "Suspended", message = "" }  -- the built-in reports the (empty) failure message
end
if ours then message = "notebook validation passed" end
return { status = "Healthy", message = message }
