#!/usr/bin/env bash
# Executes every notebook in notebooks/ headlessly with the evcxr Rust kernel, in place, and fails
# if any cell errored or panicked (nbconvert alone does not fail on a panic inside a cell).
# Installs what it needs: evcxr_jupyter (cargo, ~7 min the first time), the Jupyter Python
# packages, and the kernel spec.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v evcxr_jupyter >/dev/null 2>&1; then
  cargo install evcxr_jupyter --locked
fi
python3 -m pip install -q jupyter-core nbclient nbformat ipykernel nbconvert jupyter_client
evcxr_jupyter --install >/dev/null

status=0
for nb in [0-9][0-9]_*.ipynb; do
  echo "== executing $nb"
  start=$(date +%s)
  if ! python3 -m jupyter nbconvert --to notebook --execute --inplace \
      --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=rust "$nb"; then
    echo "FAILED: $nb (a cell raised an error)"
    status=1
    continue
  fi
  if python3 - "$nb" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
bad = []
for i, cell in enumerate(nb["cells"]):
    for out in cell.get("outputs", []):
        text = "".join(out.get("text", "")) + "".join(out.get("traceback", []))
        data = out.get("data", {})
        text += "".join(data.get("text/plain", ""))
        if out.get("output_type") == "error" or "panicked at" in text:
            bad.append(i)
sys.exit(1 if bad else 0)
PY
  then
    echo "ok: $nb ($(( $(date +%s) - start )) s)"
  else
    echo "FAILED: $nb (an error output or 'panicked at' in the executed notebook)"
    status=1
  fi
done
exit $status
