"""Signs one S3 request with botocore (the AWS SDK for Python), for test_results_store.py.

Reads {"method", "url", "headers", "body" (base64), "accessKey", "secretKey", "region"} as
JSON on stdin, signs at the request's own x-amz-date with botocore's S3SigV4Auth, and prints
the Authorization header botocore computes. Run with a Python that has botocore
(.venv-s3, which .ci/run creates); the request's other headers are signed as given.
"""

import base64
import datetime
import json
import sys
from unittest import mock

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

request_json = json.load(sys.stdin)
headers = {k: v for k, v in request_json["headers"].items() if k.lower() not in ("authorization", "x-amz-content-sha256")}
request = AWSRequest(
    method=request_json["method"], url=request_json["url"], data=base64.b64decode(request_json["body"]), headers=headers)
signed_at = datetime.datetime.strptime(request_json["headers"]["x-amz-date"], "%Y%m%dT%H%M%SZ")
auth = S3SigV4Auth(
    Credentials(request_json["accessKey"], request_json["secretKey"], request_json.get("sessionToken")), "s3",
    request_json["region"])
with mock.patch("botocore.auth.datetime") as clock:
    clock.datetime.utcnow.return_value = signed_at
    auth.add_auth(request)
print(json.dumps({
    "authorization": request.headers["Authorization"],
    "x-amz-content-sha256": request.headers["X-Amz-Content-SHA256"],
}))
