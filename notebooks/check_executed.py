"""Reads an executed notebook: prints every cell error (evcxr's compiler messages included) and
the first code cell's run time. Used by execute.sh.

usage: python3 check_executed.py NOTEBOOK.ipynb   -> prints "FIRST_CELL_SECONDS ERRORS"; exit 1 on errors"""
import json
import re
import sys
from datetime import datetime


def seconds(cell):
    t = cell.get("metadata", {}).get("execution", {})
    a, b = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (a and b):
        return None
    f = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (f(b) - f(a)).total_seconds()


def main(path):
    nb = json.load(open(path))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first = seconds(code[0]) if code else None
    errors = 0
    for i, c in enumerate(code):
        for o in c.get("outputs", []):
            text = None
            if o.get("output_type") == "error":
                text = "\n".join([o.get("ename", ""), o.get("evalue", "")] + o.get("traceback", []))
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                # evcxr prints compiler errors and the error of a failing `?` on stderr;
                # seqlab's notebook drivers write their progress to stdout.
                text = "".join(o.get("text", ""))
            if text:
                errors += 1
                src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                clean = re.sub(r"\x1b\[[0-9;]*m", "", text)
                print(f"--- error in code cell {i + 1}:\n{src}\n--- message:\n{clean}", file=sys.stderr)
    print(f"{'' if first is None else f'{first:.1f}'} {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
