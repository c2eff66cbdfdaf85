"""MORPH's metamorphic data: a semantically equivalent copy of a split made with `fidelity.transforms`.

MORPH asked an LLM to rename each function and its parameters to English synonyms (research notes §3.2). Here the
variants come from the public `fidelity.transforms` API — by default ``natural_rename`` (scope-aware renames of
the function, its parameters and locals to natural names) — or any list of transform names, applied in order to
every distinct function of the split. A transform that does not apply to a function (no site, a parse problem)
leaves it as it is; a function no transform changed keeps its original code (it cannot flip). Labels and the
pairs are unchanged: a variant split refers to ``meta:<id>`` functions, so clone pairs pair the variants.

Each function's seed is derived from (seed, function id, transform position), so a variant does not depend on the
order or the slice it was built in. Variants are cached under ``$METACOMPRESS_CACHE/metamorphic`` keyed by the
split's content fingerprint (ids, labels, code), the language, the transform list and the seed — like the teacher
outputs, a later fit, a resumed fit and every search trial on the same slice reuse them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kd.data.splits import CodeSplit
from kd.modules import cache_dir

log = logging.getLogger(__name__)

TASK_LANGUAGE = {"clone": "java", "vulnerability": "c"}
META_PREFIX = "meta:"
CACHE_KIND = "metamorphic"
CACHE_VERSION = 1  # bump when the variant format or the seeding changes


@dataclass(frozen=True)
class MetamorphicStats:
    """How many distinct functions a split has, how many changed, and how often each transform applied."""

    split: str
    functions: int
    changed: int
    applied: dict[str, int]
    cache_hit: bool
    cache_path: str

    @property
    def changed_fraction(self) -> float:
        return self.changed / self.functions if self.functions else 0.0


def check_transforms(language: str, transforms: Sequence[str]) -> None:
    """Errors name an unknown transform and list the language's transforms."""
    from fidelity.transforms import list_transforms

    if not transforms:
        raise ValueError("metamorphic transforms: expected at least one transform name")
    known = list_transforms(language)
    bad = [t for t in transforms if t not in known]
    if bad:
        raise ValueError(f"metamorphic transforms {bad} unknown for {language}; expected names of {known}")


def function_seed(seed: int, function_id: str, position: int) -> int:
    """A stable 31-bit seed for one function and one transform of the list."""
    digest = hashlib.sha256(f"{seed}|{function_id}|{position}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def variant_cache_key(split: CodeSplit, language: str, transforms: Sequence[str], seed: int) -> str:
    from fidelity.transforms import code_fingerprint

    blob = json.dumps(
        [CACHE_VERSION, split.fingerprint(), language, list(transforms), seed, code_fingerprint()]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def make_variants(
    functions: dict[str, str], ids: Sequence[str], language: str, transforms: Sequence[str], seed: int
) -> tuple[dict[str, str], dict[str, int]]:
    """Function id → variant code (the transforms applied in order), and per-transform apply counts."""
    from fidelity.transforms import apply_transform

    variants: dict[str, str] = {}
    applied = dict.fromkeys(transforms, 0)
    for fid in ids:
        code = functions[fid]
        for k, name in enumerate(transforms):
            result = apply_transform(code, language, name, seed=function_seed(seed, fid, k))
            if result.ok and result.code is not None:
                code = result.code
                applied[name] += 1
        variants[fid] = code
    return variants, applied


def metamorphic_split(
    split: CodeSplit, language: str, transforms: Sequence[str], seed: int = 0
) -> tuple[CodeSplit, MetamorphicStats]:
    """The variant copy of ``split`` (``<name>_meta``, functions ``meta:<id>``), built once and cached."""
    ids = split.function_ids()
    path = cache_dir(CACHE_KIND) / f"{variant_cache_key(split, language, transforms, seed)}.json"
    hit = False
    variants: dict[str, str] | None = None
    applied: dict[str, int] = {}
    if path.is_file():
        try:
            data = json.loads(path.read_text())
            variants, applied = data["variants"], data["applied"]
            hit = set(variants) == set(ids)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            log.warning("metamorphic cache %s unreadable (%s): rebuilding it", path, exc)
    if not hit or variants is None:
        variants, applied = make_variants(split.functions, ids, language, transforms, seed)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"variants": variants, "applied": applied, "transforms": list(transforms)}))
        tmp.replace(path)  # atomic: parallel trials never read a half-written file
        log.info("metamorphic %s: %d functions, cached at %s", split.name, len(ids), path)
    changed = sum(variants[f] != split.functions[f] for f in ids)
    meta = CodeSplit(
        f"{split.name}_meta",
        [(tuple(META_PREFIX + f for f in fids), label) for fids, label in split.items],
        {META_PREFIX + f: code for f, code in variants.items()},
    )
    return meta, MetamorphicStats(split.name, len(ids), changed, dict(applied), hit, str(path))


def combined_split(original: CodeSplit, meta: CodeSplit, name: str) -> CodeSplit:
    """The original examples followed by their metamorphic copies (index i + len(original) is i's copy)."""
    return CodeSplit(name, [*original.items, *meta.items], {**original.functions, **meta.functions})


def register_split(dm: Any, name: str, split: CodeSplit) -> None:
    """Make ``dm.split(name)`` return ``split`` (the datamodules keep their loaded splits in ``_splits``)."""
    splits = getattr(dm, "_splits", None)
    if not isinstance(splits, dict):
        raise TypeError(f"{type(dm).__name__} is not a kd CodeDataModule: cannot add split {name!r}")
    splits[name] = split
