#!/usr/bin/env python3
"""Converts docs/openapi.yaml to JSON and writes a .cc defining hookd::OpenApiJson().

Usage: openapi_embed.py <openapi.yaml> <out.json> <out.cc>
Fails (exit 1) on YAML that is not plain JSON data (a date or a binary value would not survive
the conversion) and on a document without `openapi` and `paths`.
"""
import json
import sys

import yaml


class JsonLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the strings they were written as."""


JsonLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)

DELIMITER = "hookdoas"


def main(src, out_json, out_cc):
    with open(src, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=JsonLoader)
    if not isinstance(doc, dict) or "openapi" not in doc or "paths" not in doc:
        sys.exit(f"{src}: not an OpenAPI document (no openapi or paths)")
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if ")" + DELIMITER + '"' in text:
        sys.exit(f"{src} holds the raw-string delimiter ){DELIMITER}\"")
    with open(out_json, "w", encoding="utf-8") as f:
        f.write(text)
    body = (
        "// Generated from docs/openapi.yaml by cmake/openapi_embed.py; do not edit.\n"
        '#include "web/openapi_document.h"\n'
        "namespace hookd {\n"
        "const char* OpenApiJson() {\n"
        f'  return R"{DELIMITER}({text}){DELIMITER}";\n'
        "}\n"
        "}  // namespace hookd\n"
    )
    try:
        with open(out_cc, encoding="utf-8") as f:
            if f.read() == body:
                return
    except FileNotFoundError:
        pass
    with open(out_cc, "w", encoding="utf-8") as f:
        f.write(body)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: openapi_embed.py <openapi.yaml> <out.json> <out.cc>")
    main(*sys.argv[1:])
