"""The issue-13 comparison per matrix and end, from the two row files of the curvature bench.

For every (matrix, end): the fewest applications among the peer runs that returned the right
multiset (and which run that was), then each curvlab solver's applications, whether it returned
the right multiset, and whether it needed no more applications than that best right peer.

Usage (standard library only):
  cargo bench --bench curvature 2> target/curvature_rows.md
  benches/peers/curvature_scipy.sh > target/curvature_peer_rows.md
  python3 benches/peers/curvature_summary.py target/curvature_rows.md target/curvature_peer_rows.md
"""

import sys


def rows(path):
    """Table rows `| matrix | n | end | solver | applications | seconds | ... | right | ...`."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 8 or not line.startswith("|") or cells[0] in ("matrix", "---"):
                continue
            if cells[3].startswith("curvlab"):
                right = cells[7] == "true"
            else:
                right = cells[6] == "True"
            apps = cells[4]
            apps = int(apps) if apps.isdigit() else None
            out.append({"matrix": cells[0], "end": cells[2], "solver": cells[3],
                        "apps": apps, "right": right})
    return out


def main():
    ours, peers = rows(sys.argv[1]), rows(sys.argv[2])
    print("| matrix | end | best right peer | curvlab solver | applications | right | "
          "≤ best right peer |")
    print("|---|---|---|---|---|---|---|")
    keys = []
    for r in ours:
        if (r["matrix"], r["end"]) not in keys:
            keys.append((r["matrix"], r["end"]))
    for m, e in keys:
        right = [p for p in peers if p["matrix"] == m and p["end"] == e and p["right"]
                 and p["apps"] is not None]
        best = min(right, key=lambda p: p["apps"]) if right else None
        label = f"{best['apps']} ({best['solver']})" if best else "none right"
        for r in ours:
            if r["matrix"] != m or r["end"] != e:
                continue
            meets = "—" if best is None or r["apps"] is None else (
                "yes" if r["right"] and r["apps"] <= best["apps"] else "no")
            print(f"| {m} | {e} | {label} | {r['solver']} | {r['apps']} | {'yes' if r['right'] else 'no'} | {meets} |")


if __name__ == "__main__":
    main()
