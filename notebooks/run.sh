#!/usr/bin/env bash
# Executes the notebooks in notebooks/ headlessly with the evcxr Rust kernel, in place, and fails
# if any cell errored or panicked (nbconvert alone does not fail on a panic inside a cell).
# Installs what it needs: evcxr_jupyter (cargo, ~7 min the first time), the Jupyter Python
# packages, and the kernel spec.
#
# Usage: notebooks/run.sh                      every notebooks/[0-9][0-9]_*.ipynb
#        notebooks/run.sh 03_*.ipynb           only these (paths relative to notebooks/)
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v evcxr_jupyter >/dev/null 2>&1; then
  cargo install evcxr_jupyter --locked
fi
python3 -m pip install -q jupyter-core nbclient nbformat ipykernel nbconvert jupyter_client
evcxr_jupyter --install >/dev/null

# One evcxr build folder for all the notebooks, which run one after another: the first notebook
# compiles curvlab and its dependencies, the others reuse them (each kernel would otherwise
# build them again in a fresh temporary folder). Set EVCXR_TMPDIR to use another folder.
export EVCXR_TMPDIR="${EVCXR_TMPDIR:-$(cd .. && pwd)/target/evcxr-notebooks}"
mkdir -p "$EVCXR_TMPDIR"

if [ $# -gt 0 ]; then
  notebooks=("$@")
else
  notebooks=([0-9][0-9]_*.ipynb)
fi

status=0
total_start=$(date +%s)
for nb in "${notebooks[@]}"; do
  echo "== executing $nb"
  start=$(date +%s)
  # --allow-errors: the notebook is written even when a cell fails, and the check below reports
  # every failing cell with its message.
  if ! python3 -m jupyter nbconvert --to notebook --execute --inplace --allow-errors \
      --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=rust "$nb"; then
    echo "FAILED: $nb (nbconvert could not execute it)"
    status=1
    continue
  fi
  if python3 - "$nb" <<'PY'
import json, re, sys
nb = json.load(open(sys.argv[1]))
ansi = re.compile(r"\x1b\[[0-9;]*m")
bad = 0
for i, cell in enumerate(nb["cells"]):
    for out in cell.get("outputs", []):
        text = "".join(out.get("text", "")) + "\n".join(out.get("traceback", []))
        text += "".join(out.get("data", {}).get("text/plain", ""))
        if out.get("output_type") == "error" or "panicked at" in text:
            bad += 1
            head = "".join(cell.get("source", "")).splitlines()[:1]
            print(f"  cell {i} ({head[0] if head else ''}):", out.get("ename", ""), out.get("evalue", ""))
            print("   ", ansi.sub("", text).strip().replace("\n", "\n    ")[:4000])
sys.exit(1 if bad else 0)
PY
  then
    echo "ok: $nb ($(( $(date +%s) - start )) s)"
  else
    echo "FAILED: $nb (an error output or 'panicked at' in the executed notebook)"
    status=1
  fi
done
echo "total: $(( $(date +%s) - total_start )) s for ${#notebooks[@]} notebook(s)"
exit $status
