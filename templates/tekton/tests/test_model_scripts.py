"""Tests of the ModelPipeline pod scripts, run for real (no mocks of the tools):

- model-download.py against a loopback server speaking the Hugging Face Hub API
  (`/api/models/<repo>/revision/<sha>?blobs=true`, `/<repo>/resolve/<sha>/<file>`);
- model-package.sh with the real olot (PyPI) on a generated base OCI layout and a small
  generated "model" folder: one layer per file, all under /models, files 0644;
- model-push.sh and model-verify.sh with the real skopeo against a loopback TLS registry
  (OCI distribution API, Basic auth with a ServiceAccount-style token, a private CA passed
  as the service CA).

Run from the repository root (.ci/run does):
    python3 -m unittest discover -s templates/tekton/tests -v
olot is taken from NBG_OLOT or PATH, skopeo from PATH; a missing tool skips its tests unless
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
import subprocess
import sys
import tarfile
import tempfile
import threading
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TEKTON = os.path.join(HERE, os.pardir)
DOWNLOAD = os.path.join(TEKTON, "model-download.py")
PACKAGE = os.path.join(TEKTON, "model-package.sh")
PACKAGE_BUILDAH = os.path.join(TEKTON, "model-package-buildah.sh")
PUSH = os.path.join(TEKTON, "model-push.sh")
VERIFY = os.path.join(TEKTON, "model-verify.sh")
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

WEIGHTS = os.urandom(300_000)
FILES = {
    "config.json": b'{"model_type": "tiny"}\n',
    "model.safetensors": WEIGHTS,
    "pytorch_model.bin": os.urandom(1000),
    "tokenizer/tokenizer.json": b'{"version": "1.0"}\n',
    "README.md": b"# tiny\n",
}
LFS = {"model.safetensors", "pytorch_model.bin"}


def hub_handler(files, seen, token=None, corrupt=None):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            if token and self.headers.get("Authorization") != f"Bearer {token}":
                self.send_response(401)
                self.end_headers()
                return
            info = f"/api/models/org/tiny/revision/{REVISION}?blobs=true"
            if self.path == info:
                siblings = []
                for name, data in files.items():
                    entry = {"rfilename": name, "size": len(data)}
                    if name in LFS:
                        entry["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    siblings.append(entry)
                body = json.dumps({"id": "org/tiny", "sha": REVISION, "siblings": siblings}).encode()
            elif self.path.startswith(f"/org/tiny/resolve/{REVISION}/"):
                name = self.path.split(f"/resolve/{REVISION}/", 1)[1]
                if name not in files:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = files[name]
                if corrupt == name:
                    body = b"x" + body[1:]
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class DownloadTests(unittest.TestCase):
    def run_download(self, server, **env):
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        environment = {
            "PATH": os.environ["PATH"],
            "NBG_HF_REPO": "org/tiny",
            "NBG_HF_REVISION": REVISION,
            "NBG_HF_ENDPOINT": f"http://127.0.0.1:{server.port}",
            "NBG_HF_ALLOW": "*.safetensors\n*.json\n*.txt",
            "NBG_MODEL_DIR": os.path.join(work, "model"),
            "NBG_SUMMARY_FILE": os.path.join(work, "summary.json"),
        }
        environment.update(env)
        result = subprocess.run([sys.executable, DOWNLOAD], env=environment, capture_output=True, text=True)
        return result, work

    def serve(self, **kwargs):
        seen = []
        server = Server(hub_handler(FILES, seen, **kwargs))
        self.addCleanup(server.close)
        return server, seen

    def test_fetches_one_weight_format_at_the_commit(self):
        server, _ = self.serve()
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 0, result.stderr)
        fetched = sorted(
            os.path.relpath(os.path.join(d, f), os.path.join(work, "model"))
            for d, _, names in os.walk(os.path.join(work, "model"))
            for f in names
        )
        self.assertEqual(fetched, ["config.json", "model.safetensors", "tokenizer/tokenizer.json"])
        with open(os.path.join(work, "model", "model.safetensors"), "rb") as handle:
            self.assertEqual(handle.read(), WEIGHTS)
        with open(os.path.join(work, "summary.json")) as handle:
            summary = json.load(handle)
        self.assertEqual(summary["files"], 3)
        self.assertEqual(summary["revision"], REVISION)

    def test_token_is_read_from_the_file_and_sent_only_as_a_header(self):
        server, seen = self.serve(token="hf_secret123")
        token_file = os.path.join(tempfile.mkdtemp(), "token")
        with open(token_file, "w") as handle:
            handle.write("hf_secret123\n")
        result, _ = self.run_download(server, NBG_HF_TOKEN_FILE=token_file)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(all(auth == "Bearer hf_secret123" for _, auth in seen))
        self.assertNotIn("hf_secret123", result.stdout + result.stderr)

    def test_gated_repository_without_token_fails_with_a_hint(self):
        server, _ = self.serve(token="hf_secret123")
        result, _ = self.run_download(server)
        self.assertEqual(result.returncode, 4)
        self.assertIn("HTTP 401", result.stderr)
        self.assertIn("tokenSecret", result.stderr)

    def test_checksum_mismatch_fails(self):
        server, _ = self.serve(corrupt="model.safetensors")
        result, work = self.run_download(server)
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(work, "model", "model.safetensors")))

    def test_selection_larger_than_size_model_fails_before_downloading(self):
        server, seen = self.serve()
        result, _ = self.run_download(server, NBG_MODEL_BYTES="1000")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("size.model", result.stderr)
        self.assertEqual(len(seen), 1)  # only the listing

    def test_branch_revision_is_refused(self):
        server, seen = self.serve()
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
        self.work = tempfile.mkdtemp()
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
        every 20 ms while the script runs, with an incompressible 96 MiB model. The formula's 1Gi
        is for a real base image and buildah's own files; here the base is a few bytes, so the
        allowance is 16 MiB."""
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

        def used():
            seen, total = set(), 0
            for folder, _, names in os.walk(self.work):
                for name in names:
                    try:
                        info = os.lstat(os.path.join(folder, name))
                    except OSError:
                        continue
                    if (info.st_dev, info.st_ino) not in seen:
                        seen.add((info.st_dev, info.st_ino))
                        total += info.st_blocks * 512
            return total

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], used())
                done.wait(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            result = self.run_package()
        finally:
            done.set()
            sampler.join()
        self.assertEqual(result.returncode, 0, result.stderr)
        allowance = 16 * 1024 * 1024
        self.assertLessEqual(
            peak[0], copies * size + allowance,
            f"peak {peak[0] / size:.2f} × the model, the planner's formula allows {copies} ×")
        # The sampler saw the commit (the container's copy and the layer blob at least).
        self.assertGreaterEqual(peak[0], 2 * size, f"peak {peak[0] / size:.2f} × the model")

    def test_a_model_over_the_layer_limit_fails_before_building(self):
        result = self.run_package(NBG_LAYER_LIMIT="100000")
        self.assertEqual(result.returncode, 3)
        self.assertIn("olot", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "image")))


# --- a loopback TLS registry -----------------------------------------------------------------


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
            if path == "/v2/":
                return self.reply(200, b"{}")
            parts = path.split("/")
            if "manifests" in parts:
                name, ref = "/".join(parts[2:parts.index("manifests")]), parts[-1]
                entry = store["manifests"].get((name, ref))
                if not entry:
                    return self.reply(404, b"{}")
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
        self.ca_dir = os.path.join(self.work, "ca")
        os.makedirs(self.ca_dir)
        key, cert = os.path.join(self.work, "server.key"), os.path.join(self.work, "server.crt")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
            check=True, capture_output=True)
        shutil.copy(cert, os.path.join(self.ca_dir, "ca.crt"))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.store = {"blobs": {}, "manifests": {}, "uploads": {}}
        self.server = Server(registry_handler(self.store, self.TOKEN), context)
        self.addCleanup(self.server.close)
        self.token_file = os.path.join(self.work, "token")
        with open(self.token_file, "w") as handle:
            handle.write(self.TOKEN)
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


if __name__ == "__main__":
    unittest.main()
