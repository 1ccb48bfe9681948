-- Argo CD health of a tekton.dev PipelineRun (nbgitops): Healthy only once it Succeeded,
-- so a later sync wave (the validation Job) waits for the image build to finish.
local hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Succeeded" then
      if condition.status == "True" then
        hs.status = "Healthy"
        hs.message = condition.message or "Succeeded"
      elseif condition.status == "False" then
        hs.status = "Degraded"
        hs.message = condition.message or condition.reason or "Failed"
      else
        hs.status = "Progressing"
        hs.message = condition.message or condition.reason or "Running"
      end
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the PipelineRun to start"
return hs
