-- Argo CD health check for argoproj.io/Application (Argo CD runs Lua 5.1; `obj` is the live object).
-- Argo CD 1.8 stopped judging Applications, so an app of apps' sync waves would not wait for a
-- child; this reads the child's own health (argo-cd docs, operator-manual/health.md, "Argo CD App").
-- Progressing until the child reports a health status.
local hs = { status = "Progressing", message = "Waiting for the child Application to report its health" }
if obj.status ~= nil and obj.status.health ~= nil and obj.status.health.status ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  else
    hs.message = ""
  end
end
return hs
