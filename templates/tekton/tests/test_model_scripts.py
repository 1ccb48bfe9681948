"""Tests of the ModelPipeline pod scripts, run for real (no mocks of the tools):

- model-download.py (huggingface_hub, the version the Task pins, from .venv-hf or NBG_HF_PYTHON)
  against two loopback servers: a Hugging Face Hub (`/api/models/<repo>/tree/<sha>`,
  `/<repo>/resolve/<sha>/<file>`) that redirects LFS files to a "CDN" on another host and
  port, which must never see the token and cuts a transfer short to prove it resumes;
- model-package.sh with the real olot (PyPI) on a generated base OCI layout and a small
  generated "model" folder: one layer per file, all under /models, files 0644;
- model-push.sh and model-verify.sh with the real skopeo against a loopback TLS registry
  (OCI distribution API, Basic auth with a ServiceAccount-style token, a private CA passed
  as the service CA);
- model-check.sh with the real skopeo against the same registry: a missing tag is
  present=false, a pushed one present=true, any other registry answer fails the step.

Run from the repository root (.ci/run does):
    python3 -m unittest discover -s templates/tekton/tests -v
olot is taken from NBG_OLOT or PATH, skopeo from PATH, huggingface_hub from .venv-hf (.ci/run
installs it) or NBG_HF_PYTHON; a missing tool skips its tests unless
NBGITOPS_REQUIRE_TOOLS=1, where it fails them.
"""

import base64
import hashlib
import http.server
import io
import json
import os
import shutil
import ssl
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import unittest
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TEKTON = os.path.join(HERE, os.pardir)
DOWNLOAD = os.path.join(TEKTON, "model-download.py")
PACKAGE = os.path.join(TEKTON, "model-package.sh")
PACKAGE_BUILDAH = os.path.join(TEKTON, "model-package-buildah.sh")
PUSH = os.path.join(TEKTON, "model-push.sh")
VERIFY = os.path.join(TEKTON, "model-verify.sh")
CHECK = os.path.join(TEKTON, "model-check.sh")
REVISION = "0123456789abcdef0123456789abcdef01234567"
REQUIRE = os.environ.get("NBGITOPS_REQUIRE_TOOLS") == "1"


def tool(name, env=None):
    path = os.environ.get(env) if env else None
    path = path or shutil.which(name)
    if not path:
        if REQUIRE:
            raise AssertionError(f"{name} is required (NBGITOPS_REQUIRE_TOOLS=1) but not installed")
        raise unittest.SkipTest(f"{name} not installed")
    return path


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 with a handler class; optional TLS."""

    def __init__(self, handler, context=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if context:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- Hugging Face Hub fake ------------------------------------------------------------
#
# Two loopback servers, as huggingface.co and its CDN are: the "Hub" on 127.0.0.1 answers the
# API (the tree listing huggingface_hub reads, and the older revision listing) and `/resolve/`,
# which serves small files itself and redirects LFS files (302) to the "CDN", addressed as
# `localhost` on another port: another origin (scheme, host, port) for huggingface_hub. Both
# record every request's method, path, Authorization and Range headers.

WEIGHTS = os.urandom(300_000)
FILES = {
    "config.json": b'{"model_type": "tiny"}\n',
    "model.safetensors": WEIGHTS,
    "pytorch_model.bin": os.urandom(1000),
    "tokenizer/tokenizer.json": b'{"version": "1.0"}\n',
    "README.md": b"# tiny\n",
}
LFS = {"model.safetensors", "pytorch_model.bin"}
REPO_ROOT = os.path.abspath(os.path.join(HERE, os.pardir, os.pardir, os.pardir))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def git_oid(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def hf_python():
    """A Python with the huggingface_hub version the download Task pins (.ci/run's .venv-hf)."""
    candidates = [os.environ.get("NBG_HF_PYTHON"), os.path.join(REPO_ROOT, ".venv-hf", "bin", "python")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if REQUIRE:
        raise AssertionError("huggingface_hub is required (NBGITOPS_REQUIRE_TOOLS=1): .ci/run installs it in .venv-hf")
    raise unittest.SkipTest("huggingface_hub not installed (.venv-hf; .ci/run installs it)")


def pinned_hub_version():
    """The huggingface_hub version the download Task installs when the image has none."""
    with open(os.path.join(TEKTON, "model-download.yaml")) as handle:
        lines = handle.read().splitlines()
    index = lines.index("    - name: NBG_HF_HUB_VERSION")
    return lines[index + 1].split("value:", 1)[1].strip()


class Recorder(http.server.BaseHTTPRequestHandler):
    log = None

    def log_message(self, *args):
        pass

    def record(self):
        self.log.append({
            "method": self.command, "path": self.path,
            "authorization": self.headers.get("Authorization"), "range": self.headers.get("Range"),
        })

    def do_GET(self):
        self.record()
        self.serve()

    def do_HEAD(self):
        """Answered as its GET, without the body (`answer`)."""
        self.do_GET()

    def serve(self):
        """Answers the recorded request (`answer`)."""
        raise NotImplementedError

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def hub_handler(files, seen, token=None, corrupt=None, cdn=None):
    """The Hub. `cdn`: the CDN server's port; LFS files redirect there."""

    def served(name):
        body = files[name]
        return b"x" + body[1:] if corrupt == name else body

    class Handler(Recorder):
        log = seen

        def serve(self):
            if token and self.headers.get("Authorization") != f"Bearer {token}":
                return self.answer(401, b'{"error": "Invalid credentials"}', [("X-Error-Code", "GatedRepo")])
            url = urllib.parse.urlsplit(self.path)
            if url.path == f"/api/models/org/tiny/tree/{REVISION}":
                entries = []
                for name, data in files.items():
                    entry = {"type": "file", "path": name, "size": len(data), "oid": git_oid(data)}
                    if name in LFS:
                        entry["lfs"] = {"oid": sha256(data), "size": len(data), "pointerSize": 134}
                    entries.append(entry)
                return self.answer(200, json.dumps(entries).encode(), [("Content-Type", "application/json")])
            if url.path == f"/api/models/org/tiny/revision/{REVISION}":
                siblings = []
                for name, data in files.items():
                    entry = {"rfilename": name, "size": len(data)}
                    if name in LFS:
                        entry["lfs"] = {"sha256": sha256(data), "size": len(data)}
                    siblings.append(entry)
                body = json.dumps({"id": "org/tiny", "sha": REVISION, "siblings": siblings}).encode()
                return self.answer(200, body, [("Content-Type", "application/json")])
            prefix = f"/org/tiny/resolve/{REVISION}/"
            name = urllib.parse.unquote(url.path[len(prefix):]) if url.path.startswith(prefix) else None
            if name not in files:
                return self.answer(404, b"", [("X-Error-Code", "EntryNotFound")])
            data = files[name]
            if name in LFS and cdn:
                location = f"http://localhost:{cdn}/blobs/{sha256(data)}?X-Amz-Signature=fake"
                return self.answer(302, b"", [
                    ("Location", location), ("X-Repo-Commit", REVISION),
                    ("X-Linked-Etag", f'"{sha256(data)}"'), ("X-Linked-Size", str(len(data))),
                ])
            body = served(name)
            return self.answer(200, body, [("X-Repo-Commit", REVISION), ("ETag", f'"{git_oid(data)}"')])

    return Handler


def cut_point(body):
    return len(body) * 2 // 3


def cdn_handler(files, seen, corrupt=None, cut=None):
    """The CDN: LFS blobs by sha256, byte ranges (206). `cut`: a file name whose first transfer
    stops after two thirds of its body (the connection closes)."""
    blobs = {sha256(data): (name, b"x" + data[1:] if corrupt == name else data) for name, data in files.items()}
    cut_done = []

    class Handler(Recorder):
        log = seen

        def serve(self):
            digest = urllib.parse.urlsplit(self.path).path.rsplit("/", 1)[-1]
            if digest not in blobs:
                return self.answer(404)
            name, data = blobs[digest]
            start = 0
            requested = self.headers.get("Range")
            if requested and requested.startswith("bytes=") and requested.endswith("-"):
                start = int(requested[len("bytes="):-1])
            body = data[start:]
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if self.command == "HEAD":
                return
            if cut == name and not cut_done:
                cut_done.append(True)
                self.wfile.write(body[: cut_point(body)])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class DownloadTests(unittest.TestCase):
    def run_download(self, server, **env):
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": os.path.join(work, "home"),
            "NBG_HF_REPO": "org/tiny",
            "NBG_HF_REVISION": REVISION,
            "NBG_HF_ENDPOINT": f"http://127.0.0.1:{server.port}",
            "NBG_HF_ALLOW": "*.safetensors\n*.json\n*.txt",
            "NBG_MODEL_DIR": os.path.join(work, "model"),
            "NBG_SUMMARY_FILE": os.path.join(work, "summary.json"),
        }
        environment.update(env)
        result = subprocess.run([hf_python(), DOWNLOAD], env=environment, capture_output=True, text=True, timeout=120)
        return result, work

    def serve(self, token=None, corrupt=None, cut=None, files=FILES):
        """The Hub and its CDN; returns (hub, requests the hub got, requests the CDN got)."""
        hub_seen, cdn_seen = [], []
        cdn = Server(cdn_handler(files, cdn_seen, corrupt=corrupt, cut=cut))
        self.addCleanup(cdn.close)
        hub = Server(hub_handler(files, hub_seen, token=token, corrupt=corrupt, cdn=cdn.port))
        self.addCleanup(hub.close)
        return hub, hub_seen, cdn_seen

    def fetched(self, work):
        model = os.path.join(work, "model")
        return sorted(os.path.relpath(os.path.join(d, f), model) for d, _, names in os.walk(model) for f in names)

    def test_the_task_pins_the_tested_huggingface_hub(self):
        version = subprocess.run(
            [hf_python(), "-c", "import huggingface_hub; print(huggingface_hub.__version__)"],
            capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(version, pinned_hub_version())

    def test_the_task_step_uses_the_image_huggingface_hub_when_pinned(self):
        """The download step's own script (model-download.yaml), with python3 an interpreter that
        has the pinned huggingface_hub: it runs model-download.py with it and installs nothing."""
        with open(os.path.join(TEKTON, "model-download.yaml")) as handle:
            lines = handle.read().splitlines()
        start = lines.index("    script: |") + 1
        script = "\n".join(line[6:] for line in lines[start:]).replace("/nbgitops/scripts/model-download.py", DOWNLOAD)
        bin_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, bin_dir)
        with open(os.path.join(bin_dir, "python3"), "w") as handle:  # a symlink would leave the venv
            handle.write(f'#!/bin/sh\nexec "{hf_python()}" "$@"\n')
        os.chmod(os.path.join(bin_dir, "python3"), 0o755)
        server, _, cdn_seen = self.serve()
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        environment = {
            "PATH": bin_dir + os.pathsep + os.environ["PATH"],
            "HOME": os.path.join(work, "home"), "TMPDIR": os.path.join(work, "tmp"),
            "HF_HOME": os.path.join(work, "home", "huggingface"),
            "NBG_HF_HUB_VERSION": pinned_hub_version(), "NBG_VENV": os.path.join(work, "tmp", "huggingface-hub"),
            "NBG_HF_TOKEN_BOUND": "false", "NBG_HF_TOKEN_FILE": "/nonexistent/token",
            "NBG_HF_REPO": "org/tiny", "NBG_HF_REVISION": REVISION, "NBG_HF_ALLOW": "*.safetensors",
            "NBG_HF_IGNORE": "", "NBG_HF_ENDPOINT": f"http://127.0.0.1:{server.port}", "NBG_MODEL_BYTES": "400000",
            "NBG_MODEL_DIR": os.path.join(work, "model"), "NBG_SUMMARY_FILE": os.path.join(work, "download.json"),
        }
        result = subprocess.run(["sh", "-c", script], env=environment, capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotIn("installing huggingface_hub", result.stdout)
        self.assertEqual(self.fetched(work), ["model.safetensors"])
        self.assertFalse(os.path.exists(environment["NBG_VENV"]))

    def test_fetches_one_weight_format_at_the_commit(self):
        server, _, cdn_seen = self.serve()
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 0, result.stderr)
        # Only the selected files: none of huggingface_hub's bookkeeping (.cache/) is left in the model.
        self.assertEqual(self.fetched(work), ["config.json", "model.safetensors", "tokenizer/tokenizer.json"])
        with open(os.path.join(work, "model", "model.safetensors"), "rb") as handle:
            self.assertEqual(handle.read(), WEIGHTS)
        self.assertTrue(any(r["path"].startswith("/blobs/") for r in cdn_seen), "the LFS file came from the CDN")
        with open(os.path.join(work, "summary.json")) as handle:
            summary = json.load(handle)
        self.assertEqual(summary["files"], 3)
        self.assertEqual(summary["revision"], REVISION)

    def test_token_is_read_from_the_file_and_never_leaves_the_hub(self):
        server, hub_seen, cdn_seen = self.serve(token="hf_secret123")
        token_file = os.path.join(tempfile.mkdtemp(), "token")
        self.addCleanup(shutil.rmtree, os.path.dirname(token_file))
        with open(token_file, "w") as handle:
            handle.write("hf_secret123\n")
        result, work = self.run_download(server, NBG_HF_TOKEN_FILE=token_file)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(hub_seen and all(r["authorization"] == "Bearer hf_secret123" for r in hub_seen), hub_seen)
        # /resolve/ redirected the LFS file to another host: it got the request, never the token.
        self.assertTrue(any(r["method"] == "GET" for r in cdn_seen), cdn_seen)
        self.assertEqual([r for r in cdn_seen if r["authorization"]], [])
        self.assertNotIn("hf_secret123", result.stdout + result.stderr)
        with open(os.path.join(work, "model", "model.safetensors"), "rb") as handle:
            self.assertEqual(sha256(handle.read()), sha256(WEIGHTS))

    def test_an_interrupted_transfer_resumes_with_a_range_request(self):
        # huggingface_hub writes what it received in 10 MiB chunks (constants.DOWNLOAD_CHUNK_SIZE)
        # and resumes from the last one written: a 24 MiB file cut after 16 MiB resumes at 10 MiB.
        weights = os.urandom(24 << 20)
        server, _, cdn_seen = self.serve(cut="model.safetensors", files={**FILES, "model.safetensors": weights})
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 0, result.stderr)
        gets = [r for r in cdn_seen if r["method"] == "GET"]
        self.assertEqual(len(gets), 2, gets)
        self.assertIsNone(gets[0]["range"])
        # The first transfer stopped short: the retry asks for the rest only, from what was kept.
        self.assertRegex(gets[1]["range"] or "", r"^bytes=[0-9]+-$")
        resumed_at = int(gets[1]["range"][len("bytes="):-1])
        self.assertTrue(0 < resumed_at <= cut_point(weights), gets[1]["range"])
        with open(os.path.join(work, "model", "model.safetensors"), "rb") as handle:
            self.assertEqual(sha256(handle.read()), sha256(weights))

    def test_gated_repository_without_token_fails_with_a_hint(self):
        server, _, _ = self.serve(token="hf_secret123")
        result, _ = self.run_download(server)
        self.assertEqual(result.returncode, 4)
        self.assertIn("HTTP 401", result.stderr)
        self.assertIn("tokenSecret", result.stderr)

    def test_checksum_mismatch_fails(self):
        server, _, _ = self.serve(corrupt="model.safetensors")
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertIn("sha256", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(work, "model", "model.safetensors")))

    def test_selection_larger_than_size_model_fails_before_downloading(self):
        server, seen, cdn_seen = self.serve()
        result, work = self.run_download(server, NBG_MODEL_BYTES="1000")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("size.model", result.stderr)
        self.assertEqual(len(seen), 1)  # only the listing
        self.assertEqual(cdn_seen, [])

    def test_an_unsafe_file_name_in_the_listing_fails_before_downloading(self):
        server, seen, cdn_seen = self.serve(files={**FILES, "../escape.json": b"{}"})
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("unsafe file name", result.stderr)
        self.assertEqual(len(seen), 1)  # only the listing
        self.assertFalse(os.path.exists(os.path.join(work, "escape.json")))

    def test_branch_revision_is_refused(self):
        server, seen, _ = self.serve()
        result, _ = self.run_download(server, NBG_HF_REVISION="main")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(seen, [])


# --- OCI layouts -------------------------------------------------------------------------


def base_layout(root):
    """A one-layer base image (with a history entry, as real images have) in an OCI layout."""
    os.makedirs(os.path.join(root, "blobs", "sha256"))

    def blob(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(root, "blobs", "sha256", digest), "wb") as handle:
            handle.write(data)
        return digest

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("bin/sh")
        data = b"#!/bin/true\n"
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    layer = buffer.getvalue()
    layer_digest = blob(layer)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
        "history": [{"created_by": "base"}],
    }).encode()
    config_digest = blob(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config_digest,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layer_digest,
                    "size": len(layer)}],
    }).encode()
    manifest_digest = blob(manifest)
    with open(os.path.join(root, "oci-layout"), "w") as handle:
        json.dump({"imageLayoutVersion": "1.0.0"}, handle)
    with open(os.path.join(root, "index.json"), "w") as handle:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + manifest_digest,
            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, handle)


def read_manifest(root):
    with open(os.path.join(root, "index.json")) as handle:
        index = json.load(handle)
    digest = index["manifests"][0]["digest"].split(":", 1)[1]
    with open(os.path.join(root, "blobs", "sha256", digest)) as handle:
        return json.load(handle)


def model_folder(root):
    files = {"config.json": b"{}\n", "model.safetensors": os.urandom(200_000), "tokenizer/tokenizer.json": b"{}\n"}
    for name, data in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    return files


def package(work, olot, **env):
    environment = {
        "PATH": os.environ["PATH"], "NBG_OLOT": olot,
        "NBG_MODEL_DIR": os.path.join(work, "model"), "NBG_OCI_LAYOUT": os.path.join(work, "image"),
        "NBG_RESULT_LAYERS": os.path.join(work, "layers"),
    }
    environment.update(env)
    return subprocess.run(["sh", PACKAGE], env=environment, capture_output=True, text=True)


class PackageTests(unittest.TestCase):
    def setUp(self):
        self.olot = tool("olot", "NBG_OLOT")
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        base_layout(os.path.join(self.work, "image"))
        self.files = model_folder(os.path.join(self.work, "model"))

    def test_one_layer_per_file_under_models(self):
        result = package(self.work, self.olot)
        self.assertEqual(result.returncode, 0, result.stderr)
        manifest = read_manifest(os.path.join(self.work, "image"))
        layers = manifest["layers"]
        self.assertEqual(len(layers), 1 + len(self.files))
        members = {}
        for layer in layers[1:]:
            path = os.path.join(self.work, "image", "blobs", "sha256", layer["digest"].split(":", 1)[1])
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    if member.isfile():
                        members[member.name] = (member.mode, archive.extractfile(member).read())
            self.assertTrue(layer["annotations"]["olot.layer.content.inlayerpath"].startswith("/models/"))
        self.assertEqual(sorted(members), sorted("models/" + name for name in self.files))
        for name, data in self.files.items():
            mode, content = members["models/" + name]
            self.assertEqual(content, data)
            self.assertEqual(mode & 0o444, 0o444, f"{name} must be readable by KServe's modelcar UID")
        # Originals are removed as their layers are written: packaging needs model + largest file.
        self.assertEqual([f for _, _, names in os.walk(os.path.join(self.work, "model")) for f in names], [])
        with open(os.path.join(self.work, "layers")) as handle:
            self.assertEqual(handle.read(), str(1 + len(self.files)), "all layers: the base's and one per file")

    def test_a_file_over_the_layer_limit_fails_before_packaging(self):
        result = package(self.work, self.olot, NBG_LAYER_LIMIT="100000")
        self.assertEqual(result.returncode, 3)
        self.assertIn("layer limit", result.stderr)
        self.assertEqual(len(read_manifest(os.path.join(self.work, "image"))["layers"]), 1)

    def test_an_empty_model_folder_fails(self):
        shutil.rmtree(os.path.join(self.work, "model"))
        os.makedirs(os.path.join(self.work, "model"))
        result = package(self.work, self.olot)
        self.assertEqual(result.returncode, 2)


class BuildahPackageTests(unittest.TestCase):
    """The buildah alternative: one layer with the whole model under /models (root with vfs and
    chroot isolation, as the Task runs it with only SETFCAP added)."""

    def setUp(self):
        self.buildah = tool("buildah")
        if os.geteuid() != 0:
            if REQUIRE:
                raise AssertionError("the buildah packaging test runs as root (as the Task's step does)")
            raise unittest.SkipTest("buildah packaging needs root")
        # buildah names an `oci:` base after its path ("localhost/tmp/<folder>/base"), and a path
        # component must be a valid reference component: mkdtemp's random names can end in "_" or
        # hold "___" (refused one run in about ten), so the folder is named in lowercase hex.
        self.work = os.path.join(tempfile.gettempdir(), "nbgitops-buildah-" + uuid.uuid4().hex)
        os.makedirs(self.work)
        self.addCleanup(shutil.rmtree, self.work, True)
        base_layout(os.path.join(self.work, "base"))
        self.files = model_folder(os.path.join(self.work, "model"))

    def run_package(self, **env):
        environment = {
            "PATH": os.environ["PATH"], "HOME": self.work, "TMPDIR": self.work, "NBG_BUILDAH": self.buildah,
            "NBG_MODEL_DIR": os.path.join(self.work, "model"), "NBG_OCI_LAYOUT": os.path.join(self.work, "image"),
            "NBG_BASE_IMAGE": "oci:" + os.path.join(self.work, "base") + ":latest",
            "NBG_STORAGE": os.path.join(self.work, "storage"), "NBG_RESULT_LAYERS": os.path.join(self.work, "layers"),
        }
        environment.update(env)
        return subprocess.run(["sh", PACKAGE_BUILDAH], env=environment, capture_output=True, text=True)

    def test_one_layer_with_the_model_under_models(self):
        result = self.run_package()
        self.assertEqual(result.returncode, 0, result.stderr)
        manifest = read_manifest(os.path.join(self.work, "image"))
        self.assertEqual(len(manifest["layers"]), 2, "the base's layer and one model layer")
        path = os.path.join(self.work, "image", "blobs", "sha256", manifest["layers"][-1]["digest"].split(":", 1)[1])
        with tarfile.open(path) as archive:
            members = {m.name.lstrip("./"): m for m in archive.getmembers() if m.isfile()}
            self.assertEqual(sorted(members), sorted("models/" + name for name in self.files))
            for name, data in self.files.items():
                self.assertEqual(archive.extractfile(members["models/" + name]).read(), data)
                self.assertEqual(members["models/" + name].mode & 0o444, 0o444)
        with open(os.path.join(self.work, "layers")) as handle:
            self.assertEqual(handle.read(), "2")
        # The download and buildah's storage are gone: the push needs only the layout.
        self.assertFalse(os.path.exists(os.path.join(self.work, "model")))
        self.assertFalse(os.path.exists(os.path.join(self.work, "storage")))

    def test_the_peak_fits_the_planners_workspace_formula(self):
        """The workspace the planner sizes for buildah holds `modelCopies` × size.model + 1Gi (× 1.1),
        modelCopies read from the file the planner's constant is tested against. Measured: the
        bytes under the workspace (download, buildah's storage, TMPDIR, the layout), sampled
        every 10 ms while the script runs and again each time a buildah command returns (a shim
        in front of buildah), with an incompressible 96 MiB model. Bytes are file sizes rounded
        up to 4 KiB, not allocated blocks: a filesystem's speculative preallocation (XFS) or
        tmpfs accounting must not change the answer. The formula's 1Gi is for a real base image
        and buildah's own files; here the base is a few bytes, so the allowance is 16 MiB."""
        with open(os.path.join(TEKTON, "workspace-formula.json")) as handle:
            copies = json.load(handle)["buildah"]["modelCopies"]
        model = os.path.join(self.work, "model")
        shutil.rmtree(model)
        os.makedirs(model)
        size = 96 * 1024 * 1024
        with open(os.path.join(model, "model.safetensors"), "wb") as handle:
            for _ in range(size // (1 << 20)):
                handle.write(os.urandom(1 << 20))
        peak, done = [0], threading.Event()
        workspace = self.work

        def used():
            seen, total = set(), 0
            for folder, _, names in os.walk(workspace):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except OSError:
                        continue
                    if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        total += (info.st_size + 4095) // 4096 * 4096
            return total

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], used())
                done.wait(0.01)

        # The shim runs buildah, then waits until the test has measured the workspace: the state
        # after `buildah copy` (the download and the container's copy) is seen on any machine.
        shim_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, shim_dir, True)
        request, reply = os.path.join(shim_dir, "request"), os.path.join(shim_dir, "reply")
        os.mkfifo(request)
        os.mkfifo(reply)
        shim = os.path.join(shim_dir, "buildah")
        with open(shim, "w") as handle:
            handle.write(
                "#!/bin/sh\n"
                f"'{self.buildah}' \"$@\"\n"
                "status=$?\n"
                f"echo measure > '{request}'\n"
                f"read answer < '{reply}'\n"
                "exit $status\n")
        os.chmod(shim, 0o755)
        checkpoints = []

        def answer():
            while not done.is_set():
                with open(request) as pipe:
                    if pipe.read().strip() != "measure":
                        return
                checkpoints.append(used())
                peak[0] = max(peak[0], checkpoints[-1])
                with open(reply, "w") as pipe:
                    pipe.write("ok\n")

        sampler = threading.Thread(target=sample)
        answerer = threading.Thread(target=answer, daemon=True)
        sampler.start()
        answerer.start()
        try:
            result = self.run_package(NBG_BUILDAH=shim)
        finally:
            done.set()
            sampler.join()
            # Release the answerer if it still waits for a request.
            try:
                descriptor = os.open(request, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                descriptor = None
            if descriptor is not None:
                os.write(descriptor, b"stop\n")
                os.close(descriptor)
            answerer.join(5)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(checkpoints), 3, "from, copy and commit each returned once")
        allowance = 16 * 1024 * 1024
        self.assertLessEqual(
            peak[0], copies * size + allowance,
            f"peak {peak[0] / size:.2f} × the model, the planner's formula allows {copies} ×")
        # After `buildah copy` the download and the container's copy are both there.
        self.assertGreaterEqual(max(checkpoints), 2 * size, f"checkpoints {[c / size for c in checkpoints]}")

    def test_a_model_over_the_layer_limit_fails_before_building(self):
        result = self.run_package(NBG_LAYER_LIMIT="100000")
        self.assertEqual(result.returncode, 3)
        self.assertIn("olot", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "image")))


# --- a loopback TLS registry -----------------------------------------------------------------


MANIFEST_UNKNOWN = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}'
DENIED = b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":{}}]}'


def start_registry(test, work, token):
    """A loopback TLS registry with a private CA (as ca_dir/ca.crt, the service CA's file name)
    and a token file; returns (server, store, ca_dir, token_file)."""
    ca_dir = os.path.join(work, "ca")
    os.makedirs(ca_dir)
    key, cert = os.path.join(work, "server.key"), os.path.join(work, "server.crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    shutil.copy(cert, os.path.join(ca_dir, "ca.crt"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    store = {"blobs": {}, "manifests": {}, "uploads": {}}
    server = Server(registry_handler(store, token), context)
    test.addCleanup(server.close)
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as handle:
        handle.write(token)
    return server, store, ca_dir, token_file


def registry_handler(store, token):
    expected = "Basic " + base64.b64encode(f"serviceaccount:{token}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def authorized(self):
            if self.headers.get("Authorization") == expected:
                return True
            self.reply(401, b"{}", {"WWW-Authenticate": 'Basic realm="nbgitops-test"'})
            return False

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            if not self.authorized():
                return
            path = self.path.split("?", 1)[0]
            if store.get("deny") and path != "/v2/":
                return self.reply(403, DENIED, {"Content-Type": "application/json"})
            if path == "/v2/":
                return self.reply(200, b"{}")
            parts = path.split("/")
            if "manifests" in parts:
                name, ref = "/".join(parts[2:parts.index("manifests")]), parts[-1]
                entry = store["manifests"].get((name, ref))
                if not entry:
                    # As the OCI distribution spec answers a tag the repository lacks.
                    return self.reply(404, MANIFEST_UNKNOWN, {"Content-Type": "application/json"})
                data, media = entry
                return self.reply(200, data, {"Content-Type": media,
                                              "Docker-Content-Digest": "sha256:" + hashlib.sha256(data).hexdigest()})
            if "blobs" in parts:
                data = store["blobs"].get(parts[-1])
                return self.reply(200, data) if data is not None else self.reply(404, b"{}")
            self.reply(404, b"{}")

        do_HEAD = do_GET

        def do_POST(self):
            if not self.authorized():
                return
            self.body()
            parts = self.path.split("?", 1)[0].split("/")
            name = "/".join(parts[2:parts.index("blobs")])
            upload = uuid.uuid4().hex
            store["uploads"][upload] = b""
            self.reply(202, b"", {"Location": f"/v2/{name}/blobs/uploads/{upload}", "Range": "0-0",
                                  "Docker-Upload-UUID": upload})

        def do_PATCH(self):
            if not self.authorized():
                return
            upload = self.path.split("?", 1)[0].split("/")[-1]
            store["uploads"][upload] += self.body()
            size = len(store["uploads"][upload])
            self.reply(202, b"", {"Location": self.path.split("?", 1)[0], "Range": f"0-{max(size - 1, 0)}",
                                  "Docker-Upload-UUID": upload})

        def do_PUT(self):
            if not self.authorized():
                return
            path, _, query = self.path.partition("?")
            parts = path.split("/")
            data = self.body()
            if "manifests" in parts:
                name, ref = "/".join(parts[2:parts.index("manifests")]), parts[-1]
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                media = self.headers.get("Content-Type", "")
                store["manifests"][(name, ref)] = (data, media)
                store["manifests"][(name, digest)] = (data, media)
                return self.reply(201, b"", {"Docker-Content-Digest": digest, "Location": path})
            upload = parts[-1]
            content = store["uploads"].pop(upload, b"") + data
            digest = dict(item.split("=", 1) for item in query.split("&") if "=" in item).get("digest", "")
            digest = digest.replace("%3A", ":")
            if "sha256:" + hashlib.sha256(content).hexdigest() != digest:
                return self.reply(400, b'{"errors":[{"code":"DIGEST_INVALID"}]}')
            store["blobs"][digest] = content
            self.reply(201, b"", {"Docker-Content-Digest": digest, "Location": f"/v2/blobs/{digest}"})

    return Handler


class PushVerifyTests(unittest.TestCase):
    TOKEN = "sa-token-abc"

    def setUp(self):
        self.olot = tool("olot", "NBG_OLOT")
        self.skopeo = tool("skopeo")
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        base_layout(os.path.join(self.work, "image"))
        self.files = model_folder(os.path.join(self.work, "model"))
        result = package(self.work, self.olot)
        self.assertEqual(result.returncode, 0, result.stderr)
        # A private CA standing in for OpenShift's service CA, and a server certificate for 127.0.0.1.
        self.server, self.store, self.ca_dir, self.token_file = start_registry(self, self.work, self.TOKEN)
        self.image = f"127.0.0.1:{self.server.port}/models-ns/tiny:nbgitops-0123abcd"

    def env(self, **extra):
        tmp = os.path.join(self.work, "tmp")
        os.makedirs(tmp, exist_ok=True)
        environment = {
            "PATH": os.environ["PATH"], "HOME": tmp, "TMPDIR": tmp, "NBG_SKOPEO": self.skopeo,
            "NBG_OCI_LAYOUT": os.path.join(self.work, "image"), "NBG_IMAGE": self.image,
            "NBG_PUSH_WITH_SA_TOKEN": "true", "NBG_TOKEN_FILE": self.token_file, "NBG_REGISTRY_CA_DIR": self.ca_dir,
            "NBG_RESULT_DIGEST": os.path.join(self.work, "digest"), "NBG_RESULT_IMAGE": os.path.join(self.work, "pushed"),
        }
        environment.update(extra)
        return environment

    def test_push_with_the_token_and_service_ca_then_verify(self):
        push = subprocess.run(["sh", PUSH], env=self.env(), capture_output=True, text=True)
        self.assertEqual(push.returncode, 0, push.stderr)
        self.assertNotIn(self.TOKEN, push.stdout + push.stderr)
        with open(os.path.join(self.work, "digest")) as handle:
            digest = handle.read()
        stored, _ = self.store["manifests"][("models-ns/tiny", "nbgitops-0123abcd")]
        self.assertEqual(digest, "sha256:" + hashlib.sha256(stored).hexdigest())
        self.assertEqual(len(json.loads(stored)["layers"]), 1 + len(self.files))
        verify = subprocess.run(
            ["sh", VERIFY], env=self.env(NBG_DIGEST=digest, NBG_LAYERS=str(1 + len(self.files))),
            capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn(f"{1 + len(self.files)} layers, model files under /models", verify.stdout)
        # A different expectation fails: the verify step really reads the registry.
        wrong = subprocess.run(
            ["sh", VERIFY], env=self.env(NBG_DIGEST=digest, NBG_LAYERS="7"), capture_output=True, text=True)
        self.assertNotEqual(wrong.returncode, 0)

    def test_push_without_the_service_ca_is_refused(self):
        empty = os.path.join(self.work, "no-ca")
        os.makedirs(empty)
        push = subprocess.run(["sh", PUSH], env=self.env(NBG_REGISTRY_CA_DIR=empty), capture_output=True, text=True)
        self.assertNotEqual(push.returncode, 0)
        self.assertEqual(self.store["manifests"], {})

    def test_a_wrong_token_cannot_push(self):
        with open(self.token_file, "w") as handle:
            handle.write("stale-token")
        push = subprocess.run(["sh", PUSH], env=self.env(), capture_output=True, text=True)
        self.assertNotEqual(push.returncode, 0)
        self.assertEqual(self.store["manifests"], {})



class CheckTests(unittest.TestCase):
    """model-check.sh: the first task of a ModelCar pipeline. Its `present` result decides
    whether download, package, push and verify run; only "no such tag" may make it "false"."""

    TOKEN = "sa-token-check"

    def setUp(self):
        self.skopeo = tool("skopeo")
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        self.server, self.store, self.ca_dir, self.token_file = start_registry(self, self.work, self.TOKEN)
        self.image = f"127.0.0.1:{self.server.port}/models-ns/tiny:nbgitops-0123abcd"
        self.result = os.path.join(self.work, "present")

    def env(self, **extra):
        tmp = os.path.join(self.work, "tmp")
        os.makedirs(tmp, exist_ok=True)
        environment = {
            "PATH": os.environ["PATH"], "HOME": tmp, "TMPDIR": tmp, "NBG_SKOPEO": self.skopeo,
            "NBG_IMAGE": self.image, "NBG_PUSH_WITH_SA_TOKEN": "true", "NBG_TOKEN_FILE": self.token_file,
            "NBG_REGISTRY_CA_DIR": self.ca_dir, "NBG_RESULT_PRESENT": self.result,
        }
        environment.update(extra)
        return environment

    def check(self, **extra):
        if os.path.exists(self.result):
            os.remove(self.result)
        return subprocess.run(["sh", CHECK], env=self.env(**extra), capture_output=True, text=True, timeout=120)

    def present(self):
        with open(self.result) as handle:
            return handle.read()

    def push(self, **extra):
        """The real push script, from a small OCI layout, with the same settings."""
        layout = os.path.join(self.work, "image")
        if not os.path.exists(layout):
            base_layout(layout)
        push = subprocess.run(
            ["sh", PUSH], env=self.env(NBG_OCI_LAYOUT=layout, **extra), capture_output=True, text=True, timeout=120)
        self.assertEqual(push.returncode, 0, push.stderr)

    def test_a_missing_tag_is_absent_and_a_pushed_tag_present(self):
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "false")
        self.assertIn("does not exist yet", result.stdout)
        self.assertNotIn(self.TOKEN, result.stdout + result.stderr)
        self.push()
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "true")
        # Another tag of the same repository is still absent.
        other = self.image.rsplit(":", 1)[0] + ":nbgitops-ffffffff"
        result = self.check(NBG_IMAGE=other)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "false")

    def test_an_earlier_destination_without_the_tag_makes_the_answer_false(self):
        self.push()
        result = self.check(NBG_PRESENT_BEFORE="false")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "false")
        result = self.check(NBG_PRESENT_BEFORE="true")
        self.assertEqual(self.present(), "true")

    def test_an_external_registry_is_read_with_the_push_secrets_auth_file(self):
        secret = os.path.join(self.work, "dockerconfig")
        os.makedirs(secret)
        auth = base64.b64encode(f"serviceaccount:{self.TOKEN}".encode()).decode()
        with open(os.path.join(secret, ".dockerconfigjson"), "w") as handle:
            json.dump({"auths": {self.image.split("/", 1)[0]: {"auth": auth}}}, handle)
        # An external registry's certificate is checked against the system's trust (here the test CA).
        external = {"NBG_PUSH_WITH_SA_TOKEN": "false", "NBG_DOCKERCONFIG_BOUND": "true", "NBG_DOCKERCONFIG_DIR": secret,
                    "SSL_CERT_FILE": os.path.join(self.ca_dir, "ca.crt")}
        result = self.check(**external)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "false")
        self.push(**external)
        result = self.check(**external)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.present(), "true")
        # Without the Secret the registry refuses (401): the step fails.
        result = self.check(**dict(external, NBG_DOCKERCONFIG_BOUND="false"))
        self.assertNotEqual(result.returncode, 0)
        self.assertFalse(os.path.exists(self.result))

    def test_refused_credentials_fail_the_step(self):
        self.push()
        with open(self.token_file, "w") as handle:
            handle.write("stale-token")
        result = self.check()
        self.assertNotEqual(result.returncode, 0)
        self.assertFalse(os.path.exists(self.result), "no answer: neither a silent push nor a silent skip")

    def test_a_denied_read_fails_the_step(self):
        self.store["deny"] = True
        result = self.check()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("cannot tell whether", result.stderr)
        self.assertFalse(os.path.exists(self.result))

    def test_an_untrusted_or_unreachable_registry_fails_the_step(self):
        other = os.path.join(self.work, "other-ca")
        os.makedirs(other)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
             "-keyout", os.path.join(self.work, "other.key"), "-out", os.path.join(other, "ca.crt")],
            check=True, capture_output=True)
        result = self.check(NBG_REGISTRY_CA_DIR=other)
        self.assertNotEqual(result.returncode, 0)
        self.assertFalse(os.path.exists(self.result))
        self.server.close()
        result = self.check()
        self.assertNotEqual(result.returncode, 0)
        self.assertFalse(os.path.exists(self.result))


if __name__ == "__main__":
    unittest.main()
