-- Argo CD health of a PersistentVolumeClaim (nbgitops): as Argo CD's built-in check
-- (gitops-engine pkg/health/health_pvc.go: Bound Healthy, Pending Progressing, Lost Degraded),
-- except that a claim annotated nbgitops.dev/first-consumer: outside is Healthy while Pending.
-- No pod in the synced output mounts such a claim, and with a WaitForFirstConsumer storage
-- class it stays Pending until one does: waiting for it would hold its sync wave forever.
local hs = {}
local phase = nil
if obj.status ~= nil then
  phase = obj.status.phase
end
if phase == "Bound" then
  hs.status = "Healthy"
  hs.message = "The claim is bound"
  return hs
end
if phase == "Lost" then
  hs.status = "Degraded"
  hs.message = "The claim lost its volume"
  return hs
end
local outside = nil
if obj.metadata ~= nil and obj.metadata.annotations ~= nil then
  outside = obj.metadata.annotations["nbgitops.dev/first-consumer"]
end
if outside == "outside" then
  hs.status = "Healthy"
  hs.message = "Pending until its first consumer, which this sync does not create, mounts it"
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for the claim to be bound"
return hs
