#!/usr/bin/env python3
"""Verifies every signature of a Consort-signed CTS with joserfc, an independent JOSE implementation.

Usage: verify_jws.py SIGNED.json
Prints one line per signature ("valid <member>" or "invalid <reason>"), then "payload-sha256 <hex>".
The signer's key is taken from the first x5c certificate; chain validation is Consort's job and not repeated here.
"""
import base64
import hashlib
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry


def key_from_x5c(obj):
    header = obj.headers()
    certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    pem = certificate.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ECKey.import_key(pem)


def main(path):
    document = json.load(open(path, "rb"))
    registry = JWSRegistry(algorithms=["ES256"], strict_check_header=False)
    registry.max_header_length = 65536
    registry.max_payload_length = 1 << 21
    failures = 0
    for entry in document["signatures"]:
        single = {"payload": document["payload"], "signatures": [entry]}
        try:
            result = jws.deserialize_json(single, key_from_x5c, registry=registry)
            print("valid", result.members[0].headers()["consort-member"])
        except (JoseError, ValueError) as error:
            failures += 1
            print("invalid", repr(error))
    payload = base64.urlsafe_b64decode(document["payload"] + "=" * (-len(document["payload"]) % 4))
    print("payload-sha256", hashlib.sha256(payload).hexdigest())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
