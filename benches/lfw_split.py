"""Write the 1:N split of the LFW slice's evaluation part as `lfr eval identify` lists.

    .venv/bin/python benches/lfw_split.py OUT_DIR
    .venv/bin/lfr eval identify OUT_DIR/gallery.tsv OUT_DIR/probes.tsv --root $LFR_SAMPLE_DATA

Gallery: the first photo of each evaluation identity with two or more photos. Mated probes:
their other photos. Non-mated probes: the photos of the single-photo identities. None of
these people is in the calibration part the reference distribution was computed from
(benches/lfw_data.py: the split, the excluded pictures, the aliases).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lfw_data


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    by_identity: dict[str, list[str]] = defaultdict(list)
    for p in lfw_data.photos(lfw_data.data_root()):
        if lfw_data.part_of(p.identity) == "evaluation":
            by_identity[p.identity].append(p.path)
    gallery, probes = ["path\tidentity"], ["path\tidentity"]
    for identity, paths in sorted(by_identity.items()):
        if len(paths) >= 2:
            gallery.append(f"{paths[0]}\t{identity}")
            probes += [f"{p}\t{identity}" for p in paths[1:]]
        else:
            probes.append(f"{paths[0]}\t{identity}")
    (out / "gallery.tsv").write_text("\n".join(gallery) + "\n", encoding="utf-8")
    (out / "probes.tsv").write_text("\n".join(probes) + "\n", encoding="utf-8")
    print(f"{len(gallery) - 1} gallery photos, {len(probes) - 1} probes written to {out}")


if __name__ == "__main__":
    main()
