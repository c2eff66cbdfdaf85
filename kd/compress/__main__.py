"""``python -m kd.compress``: turn any model dir into a quantized or pruned model dir.

    python -m kd.compress quantize --model DIR --mode int8-dynamic|fp16|bf16 [--per-channel] --output DIR
    python -m kd.compress prune --model DIR --method unstructured --sparsity 0.5 --output DIR
    python -m kd.compress prune --model DIR --method structured --ratio 0.5 [--groups layers heads ffn hidden]
        [--importance magnitude|taylor --data DIR --task clone --calibration 128] --output DIR
    python -m kd.compress size DIR

Exit status 2 with a message naming the problem on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kd.compress.quantize import MODES
from kd.compress.structured import GROUPS

EXIT_BAD_INPUT = 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kd.compress", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quantize", help="post-training quantization (CPU)")
    q.add_argument("--model", required=True, help="model dir (metacompress / Compressor release / HF)")
    q.add_argument("--mode", required=True, choices=MODES)
    q.add_argument("--per-channel", action="store_true", help="int8: one scale per output channel")
    q.add_argument("--task", choices=("clone", "vulnerability"), help="needed for a plain HF model")
    q.add_argument("--output", required=True, type=Path)
    pr = sub.add_parser("prune", help="unstructured or structured pruning (no fine-tuning)")
    pr.add_argument("--model", required=True)
    pr.add_argument("--method", required=True, choices=("unstructured", "structured"))
    pr.add_argument("--sparsity", type=float, help="unstructured: fraction of Linear weights zeroed")
    pr.add_argument("--ratio", type=float, help="structured: target parameters / source parameters")
    pr.add_argument("--target-mb", type=float, help="structured: target size, parameters × 4 B")
    pr.add_argument("--groups", nargs="+", default=list(GROUPS), choices=GROUPS)
    pr.add_argument("--importance", default="magnitude", choices=("magnitude", "taylor"))
    pr.add_argument("--data", help="taylor: CodeXGLUE-format data dir for the calibration slice")
    pr.add_argument("--task", choices=("clone", "vulnerability"))
    pr.add_argument("--calibration", type=int, default=128, help="taylor: labelled train examples")
    pr.add_argument("--max-length", type=int, default=400)
    pr.add_argument("--output", required=True, type=Path)
    s = sub.add_parser("size", help="bytes on disk, parameters, parameters × bits")
    s.add_argument("model", type=Path)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from kd.compress.api import StructuredSettings, prune_dir, quantize_dir, size_report

    try:
        if args.command == "quantize":
            out = quantize_dir(args.model, args.mode, args.output, args.per_channel, args.task)
        elif args.command == "prune":
            settings = None
            if args.method == "structured":
                settings = StructuredSettings(args.ratio, args.target_mb, tuple(args.groups), args.importance)
            out = prune_dir(
                args.model, args.output, args.method, args.sparsity, settings, args.data, args.task,
                args.calibration, args.max_length,
            )  # fmt: skip
        else:
            print(json.dumps(size_report(args.model), indent=2))
            return 0
    except (ValueError, FileNotFoundError, OSError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps({"output": str(out), **size_report(out)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
