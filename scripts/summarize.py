#!/usr/bin/env python3
"""Adds up meson test logs (*.json, one result per line) and pytest JUnit
files (*.xml) in a folder and prints 'N passed, N failed, N skipped'."""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

folder = pathlib.Path(sys.argv[1])
passed = failed = skipped = 0
failures = []
for path in sorted(folder.glob("*.json")):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        test = json.loads(line)
        result = test.get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            failures.append(f"{path.stem}: {test.get('name')} {result}")
for path in sorted(folder.glob("*.xml")):
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        if "failure" in kinds or "error" in kinds:
            failed += 1
            failures.append(f"{path.stem}: {case.get('classname')}.{case.get('name')}")
        elif "skipped" in kinds:
            skipped += 1
        else:
            passed += 1
for line in failures:
    print("FAILED", line)
if passed + failed == 0:
    print("no tests ran")
    sys.exit(1)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
