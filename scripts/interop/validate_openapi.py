#!/usr/bin/env python3
"""Validates JSON bodies against the schemas of an OpenAPI 3.1 document (JSON Schema 2020-12), independently of Consort.

usage: validate_openapi.py openapi.yaml manifest.json
manifest: {"SchemaName": "path/to/body.json", ...}; prints "N bodies valid" or the failures (exit 1).
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    spec_path, manifest_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    with open(manifest_path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    schemas = spec["components"]["schemas"]
    failures = []
    for name, path in sorted(manifest.items()):
        if name not in schemas:
            failures.append(f"{name}: no such schema in {spec_path}")
            continue
        # The schema as the root, with the document's components beside it so that its $refs resolve.
        schema = dict(schemas[name])
        schema["components"] = spec["components"]
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=str)
        failures += [f"{name}: {error.message} at {list(error.absolute_path)}" for error in errors]
    if failures:
        print("\n".join(failures))
        return 1
    print(f"{len(manifest)} bodies valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
