"""Imported names and aliases, a local named like a module attribute, star-free imports used in
nested functions, `__name__`, dunder-all style strings naming functions."""

import collections
import math as m
from functools import reduce
from itertools import count as counter

__all__ = ["hypot", "product"]


def hypot(x, y):
    sqrt = m.sqrt
    return sqrt(x * x + y * y)


def product(values):
    return reduce(lambda acc, v: acc * v, values, 1)


def frequencies(words):
    counts = collections.Counter(words)
    most = counts.most_common(1)[0]
    return most


def numbered(items):
    pi = m.pi
    out = []
    for index, item in zip(counter(1), items):
        out.append(f"{index}:{item}")
    return out, round(pi, 2)


def by_name(name):
    return globals()[name](3, 4) if name == "hypot" else None


assert hypot(3, 4) == 5.0
assert product([1, 2, 3, 4]) == 24
assert frequencies("a b a".split()) == ("a", 2)
assert numbered(["x", "y"]) == (["1:x", "2:y"], 3.14)
assert by_name("hypot") == 5.0
assert __all__ == ["hypot", "product"]
print(hypot(6, 8), product([5, 5]), frequencies(["q"]), numbered(["z"]))
