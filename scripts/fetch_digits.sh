#!/usr/bin/env bash
# Extracts the UCI "Optical Recognition of Handwritten Digits" 8x8 set (Alpaydin & Kaynak 1998,
# CC BY 4.0) from the copy that scikit-learn ships (sklearn/datasets/data/digits.csv.gz) into
# data/digits.csv.gz. Run once; the file is committed and compiled into curvlab with
# include_bytes!, so nothing is downloaded or read at run time.
# Usage: scripts/fetch_digits.sh   (from the repository root; needs python3 with venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet scikit-learn
src="$("$venv/bin/python" -c 'import os, sklearn.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "data", "digits.csv.gz"))')"
mkdir -p "$root/data"
cp "$src" "$root/data/digits.csv.gz"
"$venv/bin/python" - "$root/data/digits.csv.gz" <<'PY'
import sys, numpy as np
a = np.loadtxt(sys.argv[1], delimiter=",")
print(f"{sys.argv[1]}: {a.shape[0]} rows, {a.shape[1]} columns (64 pixels 0..16, label last)")
PY
