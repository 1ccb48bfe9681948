"""The results store: validate-notebook.py saves the executed notebook, the full report
and the verdict below <spec name>/<content hash>/ of a mounted claim or an S3-compatible bucket.

Real papermill runs (as test_verdict.py: NBG_PAPERMILL_PYTHON, under UID 1000680000 when the tests
run as root) write to a folder standing in for the claim and to a loopback HTTP server standing
in for S3. Every request's AWS Signature Version 4 is recomputed with botocore, the AWS SDK
(NBG_BOTOCORE_PYTHON, default ../../../.venv-s3/bin/python, which .ci/run creates). Without the
tools the tests are skipped, unless NBGITOPS_REQUIRE_TOOLS=1 (CI), where they fail.
"""

import base64
import http.server
import importlib.util
import json
import os
import shutil
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from test_verdict import nb  # a notebook of code cells

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "validate-notebook.py")
SIGNER = os.path.join(HERE, "botocore_sign.py")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
_spec = importlib.util.spec_from_file_location("validate_notebook_results", SCRIPT)
vn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vn)

PAPERMILL_PYTHON = os.environ.get("NBG_PAPERMILL_PYTHON", os.path.join(REPO, ".venv-papermill", "bin", "python"))
BOTOCORE_PYTHON = os.environ.get("NBG_BOTOCORE_PYTHON", os.path.join(REPO, ".venv-s3", "bin", "python"))
REQUIRE = os.environ.get("NBGITOPS_REQUIRE_TOOLS") == "1"
POD_UID = 1000680000
JOB = "nb-churn-model-1a2b3c4d"
ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def botocore_signature(method, url, headers, body, region="us-east-1"):
    request = {"method": method, "url": url, "headers": headers, "body": base64.b64encode(body).decode(),
               "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY, "region": region}
    run = subprocess.run([BOTOCORE_PYTHON, SIGNER], input=json.dumps(request), capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(run.stdout)


class ResultsFolderTest(unittest.TestCase):
    def test_folder_is_spec_name_and_the_job_names_hash(self):
        env = {"NBG_RESULTS_NAME": "churn-model", "NBG_JOB_NAME": JOB}
        self.assertEqual(vn.results_folder(env), "churn-model/1a2b3c4d")

    def test_a_job_name_without_hash_is_an_error_not_a_guess(self):
        for job in ("", "churn-model", "nb-churn-model-XYZ"):
            with self.assertRaises(vn.ResultsError, msg=job):
                vn.results_folder({"NBG_RESULTS_NAME": "churn-model", "NBG_JOB_NAME": job})
        with self.assertRaises(vn.ResultsError):
            vn.results_folder({"NBG_RESULTS_NAME": "../etc", "NBG_JOB_NAME": JOB})

    def test_no_store_saves_nothing(self):
        self.assertIsNone(vn.save_results({}, {}, {"verdict": "passed"}))

    def test_missing_claim_mount_is_reported(self):
        env = {"NBG_RESULTS_DIR": "/nonexistent/results", "NBG_RESULTS_NAME": "a", "NBG_JOB_NAME": JOB}
        with self.assertRaisesRegex(vn.ResultsError, "does not exist"):
            vn.save_results(env, {}, {"verdict": "passed"})

    def test_credentials_come_from_the_secret_files(self):
        folder = tempfile.mkdtemp(prefix="nbg-s3-creds-")
        self.addCleanup(shutil.rmtree, folder)
        with self.assertRaisesRegex(vn.ResultsError, "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY"):
            vn.read_s3_credentials(folder)
        for key, value in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY + "\n")):
            with open(os.path.join(folder, key), "w") as f:
                f.write(value)
        self.assertEqual(vn.read_s3_credentials(folder),
                         {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY})


@unittest.skipUnless(os.path.exists(BOTOCORE_PYTHON) or REQUIRE, "no botocore Python (NBG_BOTOCORE_PYTHON)")
class SignatureTest(unittest.TestCase):
    """The script's SigV4 PUT signature equals the AWS SDK's for the same request."""

    def setUp(self):
        self.assertTrue(os.path.exists(BOTOCORE_PYTHON), f"missing {BOTOCORE_PYTHON} (.ci/run creates it)")

    def test_signatures_match_botocore(self):
        now = time.strptime("20261207T101500Z", "%Y%m%dT%H%M%SZ")
        cases = [
            ("https://s3.eu-west-1.amazonaws.com/nb-results/ci/churn/1a2b3c4d/report.json", "eu-west-1", b'{"a": 1}\n'),
            ("http://minio.example.com:9000/nb-results/churn/1a2b3c4d/notebook.ipynb", "us-east-1", b"x" * 70000),
            ("https://s3.example.com/b/a%20space/file.json", "us-east-1", b""),
        ]
        for url, region, body in cases:
            credentials = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
            method, signed_url, headers = vn.s3_put_request(url, region, credentials, body, "application/json", now)
            expected = botocore_signature(method, signed_url, headers, body, region)
            self.assertEqual(headers["authorization"], expected["authorization"], url)
            self.assertEqual(headers["x-amz-content-sha256"], expected["x-amz-content-sha256"], url)
            wrong = botocore_signature(method, signed_url, headers, body + b"!", region)
            self.assertNotEqual(headers["authorization"], wrong["authorization"], "the payload is signed")


class FakeS3(http.server.BaseHTTPRequestHandler):
    """Records each PUT (path, headers, body); answers `status`."""
    status = 200
    received = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        FakeS3.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(FakeS3.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@unittest.skipUnless(os.path.exists(PAPERMILL_PYTHON) or REQUIRE, "no papermill Python (NBG_PAPERMILL_PYTHON)")
class PapermillResultsTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(PAPERMILL_PYTHON), f"missing {PAPERMILL_PYTHON} (.ci/run creates it)")
        self.root = tempfile.mkdtemp(prefix="nbg-results-")
        os.chmod(self.root, 0o777)
        for folder in ("checkout", "output", "home", "claim"):
            os.makedirs(os.path.join(self.root, folder))
            os.chmod(os.path.join(self.root, folder), 0o777)
        self.notebook = os.path.join(self.root, "checkout", "demo.ipynb")
        with open(self.notebook, "w") as f:
            json.dump(nb("print('hello')", "1 + 1"), f)
        os.chmod(self.notebook, 0o644)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def validate(self, extra, uid=POD_UID, job=JOB):
        log = os.path.join(self.root, "output", f"termination-log-{uid}")
        env = {
            "PATH": os.path.dirname(PAPERMILL_PYTHON) + ":/usr/bin:/bin",
            "HOME": os.path.join(self.root, "home"),
            "NBG_NOTEBOOK": self.notebook,
            "NBG_OUTPUT_NOTEBOOK": os.path.join(self.root, "output", "demo.ipynb"),
            "NBG_TERMINATION_LOG": log,
            "NBG_RESULTS_NAME": "churn-model",
            "NBG_JOB_NAME": job,
        }
        env.update(extra)
        command = [PAPERMILL_PYTHON, SCRIPT]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={uid}", "--regid=0", "--clear-groups"] + command
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        with open(log, "rb") as f:
            return run, json.loads(f.read())

    def test_claim_gets_notebook_report_and_verdict_readable_by_the_next_uid(self):
        claim = os.path.join(self.root, "claim")
        run, verdict = self.validate({"NBG_RESULTS_DIR": claim + "/ci", "NBG_RESULTS_LOCATION": "pvc://notebook-results/ci"})
        # NBG_RESULTS_DIR's own folder (ci) is the store's: absent, nothing is saved.
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("does not exist", verdict["resultsError"])
        self.assertNotIn("results", verdict)

        os.makedirs(os.path.join(claim, "ci"))
        os.chmod(os.path.join(claim, "ci"), 0o777)
        run, verdict = self.validate({"NBG_RESULTS_DIR": claim + "/ci", "NBG_RESULTS_LOCATION": "pvc://notebook-results/ci"})
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(verdict["results"], "pvc://notebook-results/ci/churn-model/1a2b3c4d/")
        folder = os.path.join(claim, "ci", "churn-model", "1a2b3c4d")
        self.assertEqual(sorted(os.listdir(folder)), ["notebook.ipynb", "report.json", "verdict.json"])
        with open(os.path.join(folder, "notebook.ipynb")) as f:
            executed = json.load(f)
        self.assertEqual("".join(executed["cells"][0]["outputs"][0]["text"]), "hello\n", "the executed notebook")
        with open(os.path.join(folder, "report.json")) as f:
            self.assertTrue(json.load(f)["passed"])
        with open(os.path.join(folder, "verdict.json")) as f:
            saved = json.load(f)
        self.assertEqual(saved["verdict"], "passed")
        self.assertEqual(saved["results"], verdict["results"])
        for path in (os.path.join(claim, "ci", "churn-model"), folder):
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o2775, path)
        for name in os.listdir(folder):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode), 0o664, name)
        if os.geteuid() == 0:
            # The next run may be another UID (same group); it adds its own folder
            # and may even replace the files of a re-run of the same Job.
            self.assertEqual(os.stat(folder).st_uid, POD_UID)
            run, verdict = self.validate(
                {"NBG_RESULTS_DIR": claim + "/ci", "NBG_RESULTS_LOCATION": "pvc://notebook-results/ci"},
                uid=POD_UID + 1)
            self.assertEqual(verdict["results"], "pvc://notebook-results/ci/churn-model/1a2b3c4d/", run.stderr)
            run, verdict = self.validate(
                {"NBG_RESULTS_DIR": claim + "/ci", "NBG_RESULTS_LOCATION": "pvc://notebook-results/ci"},
                uid=POD_UID + 1, job="nb-churn-model-99887766")
            self.assertEqual(verdict["results"], "pvc://notebook-results/ci/churn-model/99887766/", run.stderr)

    def serve(self, status):
        FakeS3.status = status
        FakeS3.received = []
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        credentials = os.path.join(self.root, "s3-credentials")
        os.makedirs(credentials)
        for key, value in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)):
            with open(os.path.join(credentials, key), "w") as f:
                f.write(value)
            os.chmod(os.path.join(credentials, key), 0o444)
        return {
            "NBG_RESULTS_S3_URL": f"http://127.0.0.1:{server.server_address[1]}/nb-results/ci",
            "NBG_RESULTS_S3_REGION": "eu-west-1",
            "NBG_RESULTS_S3_CREDENTIALS": credentials,
            "NBG_RESULTS_LOCATION": "s3://nb-results/ci",
        }

    @unittest.skipUnless(os.path.exists(BOTOCORE_PYTHON) or REQUIRE, "no botocore Python (NBG_BOTOCORE_PYTHON)")
    def test_bucket_gets_three_signed_puts(self):
        run, verdict = self.validate(self.serve(200))
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(verdict["results"], "s3://nb-results/ci/churn-model/1a2b3c4d/")
        paths = [path for path, _, _ in FakeS3.received]
        self.assertEqual(paths, [f"/nb-results/ci/churn-model/1a2b3c4d/{name}"
                                 for name in ("notebook.ipynb", "report.json", "verdict.json")])
        for path, headers, body in FakeS3.received:
            url = f"http://{headers['host']}{path}"
            signed = {k: v for k, v in headers.items() if k in ("content-type", "host", "x-amz-date")}
            expected = botocore_signature("PUT", url, signed, body, "eu-west-1")
            self.assertEqual(headers["authorization"], expected["authorization"], path)
        saved = json.loads(FakeS3.received[2][2])
        self.assertEqual((saved["verdict"], saved["results"]), ("passed", verdict["results"]))
        self.assertNotIn(SECRET_KEY, json.dumps(verdict) + run.stdout + run.stderr, "the key never leaves the pod")

    def test_a_store_refusing_the_upload_keeps_the_verdict(self):
        run, verdict = self.validate(self.serve(403))
        self.assertEqual(run.returncode, 0, "a store outage is not a notebook failure")
        self.assertEqual(verdict["verdict"], "passed")
        self.assertIn("HTTP 403", verdict["resultsError"])
        self.assertIn("results not saved", run.stderr)


def make_tls_certificates(folder):
    """A self-signed CA (standing in for OpenShift's service CA) and a certificate it signs for
    127.0.0.1; returns (ca.crt, server.crt, server.key)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
            "-subj", "/CN=test-service-ca", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=s3.openshift-storage.svc")
    with open(os.path.join(folder, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "1", "-extfile", "server.ext")
    return (os.path.join(folder, name) for name in ("ca.crt", "server.crt", "server.key"))


@unittest.skipUnless(shutil.which("openssl") or REQUIRE, "no openssl to make a test CA")
class BucketServiceCATest(unittest.TestCase):
    """M8: an in-cluster S3 endpoint whose certificate the cluster's service CA signs. The upload
    trusts the mounted CA ConfigMap's files (NBG_RESULTS_S3_CA) besides the system bundle, over
    real TLS on loopback."""

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="nbg-results-tls-")
        self.addCleanup(shutil.rmtree, self.root, True)
        ca, certificate, key = make_tls_certificates(self.root)
        # The ConfigMap as the kubelet mounts it: ..data/ and a key link (service-ca.crt).
        self.ca_folder = os.path.join(self.root, "results-ca")
        data = os.path.join(self.ca_folder, "..2026_12_07_22_00_00.000000001")
        os.makedirs(data)
        shutil.copy(ca, os.path.join(data, "service-ca.crt"))
        os.symlink(os.path.basename(data), os.path.join(self.ca_folder, "..data"))
        os.symlink(os.path.join("..data", "service-ca.crt"), os.path.join(self.ca_folder, "service-ca.crt"))
        FakeS3.status = 200
        FakeS3.received = []
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeS3)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(certificate, key)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        credentials = os.path.join(self.root, "s3-credentials")
        os.makedirs(credentials)
        for name, value in (("AWS_ACCESS_KEY_ID", ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", SECRET_KEY)):
            with open(os.path.join(credentials, name), "w") as f:
                f.write(value)
        self.env = {
            "NBG_RESULTS_S3_URL": f"https://127.0.0.1:{server.server_address[1]}/nb-results/ci",
            "NBG_RESULTS_S3_REGION": "us-east-1",
            "NBG_RESULTS_S3_CREDENTIALS": credentials,
            "NBG_RESULTS_LOCATION": "s3://nb-results/ci",
            "NBG_RESULTS_NAME": "churn-model",
            "NBG_JOB_NAME": JOB,
        }

    def save(self, **extra):
        return vn.save_results(dict(self.env, **extra), {"passed": True}, {"verdict": "passed"})

    def test_M8_service_ca_signed_endpoint_fails_with_the_system_bundle_only(self):
        with self.assertRaises(vn.ResultsError) as raised:
            self.save()
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(raised.exception))
        self.assertEqual(FakeS3.received, [])

    def test_M8_mounted_service_ca_makes_the_upload_verify(self):
        location = self.save(NBG_RESULTS_S3_CA=self.ca_folder)
        self.assertEqual(location, "s3://nb-results/ci/churn-model/1a2b3c4d/")
        self.assertEqual([path for path, _, _ in FakeS3.received],
                         [f"/nb-results/ci/churn-model/1a2b3c4d/{name}" for name in ("report.json", "verdict.json")])

    def test_M8_absent_ca_configmap_keeps_the_system_bundle_and_reports(self):
        with self.assertRaises(vn.ResultsError) as raised:
            self.save(NBG_RESULTS_S3_CA=os.path.join(self.root, "not-mounted"))
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(raised.exception))

    def test_M8_unreadable_ca_file_is_a_results_error_not_a_crash(self):
        with open(os.path.join(self.ca_folder, "broken.crt"), "w") as f:
            f.write("not a certificate\n")
        with self.assertRaises(vn.ResultsError) as raised:
            self.save(NBG_RESULTS_S3_CA=self.ca_folder)
        self.assertIn("broken.crt", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
