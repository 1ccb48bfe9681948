-- Argo CD health of an image.openshift.io ImageStream (nbgitops): an ImageStream annotated
-- nbgitops.dev/await-tag is Healthy only once that tag holds an image, so a later sync
-- wave (the validation Job) waits for the S2I build that pushes it.
local hs = {}
local wanted = nil
if obj.metadata ~= nil and obj.metadata.annotations ~= nil then
  wanted = obj.metadata.annotations["nbgitops.dev/await-tag"]
end
if wanted == nil then
  hs.status = "Healthy"
  hs.message = "No tag awaited"
  return hs
end
if obj.status ~= nil and obj.status.tags ~= nil then
  for _, tag in ipairs(obj.status.tags) do
    if tag.tag == wanted and tag.items ~= nil and #tag.items > 0 then
      hs.status = "Healthy"
      hs.message = "Tag " .. wanted .. " is built"
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for a build to push tag " .. wanted
return hs
