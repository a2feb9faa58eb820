#!/usr/bin/env python3
"""Lists public declarations without a `///` doc comment right above them (attributes skipped)."""
import pathlib, re, sys

roots = sys.argv[1:] or ["Sources"]
decl = re.compile(r'^\s*(@\w+(\([^)]*\))?\s+)*(public|open)\s+(nonisolated\(unsafe\)\s+)?(static\s+|final\s+|override\s+|mutating\s+|consuming\s+|convenience\s+)*(func|var|let|init|struct|enum|class|protocol|typealias|case|subscript|extension|associatedtype)\b')
missing = 0
for root in roots:
    for path in sorted(pathlib.Path(root).rglob("*.swift")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if not decl.match(line) or re.match(r'^\s*public\s+extension|^\s*extension', line):
                continue
            j = i - 1
            while j >= 0 and (lines[j].strip().startswith("@") or lines[j].strip().startswith("//") and not lines[j].strip().startswith("///")):
                j -= 1
            if j < 0 or not lines[j].strip().startswith("///"):
                print(f"{path}:{i+1}: {line.strip()}")
                missing += 1
print(f"{missing} public declaration(s) without a doc comment")
sys.exit(1 if missing else 0)
