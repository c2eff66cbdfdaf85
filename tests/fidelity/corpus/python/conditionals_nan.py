"""if/else with NaN (not (x < y) differs from x >= y), chained comparisons, elif chains,
conditional expressions in assignments, truthiness, `is`/`in` operators."""

import math


def classify(x, y):
    if x < y:
        r = "lt"
    else:
        r = "not-lt"
    return r


def grade(score):
    if score >= 90:
        return 4
    elif score >= 80:
        return 3
    elif score > 60:
        return 2
    else:
        return 0


def chained(a, b, c):
    return a < b <= c, 0 <= a < 10 != b


def truthy(v):
    label = "yes" if v else "no"
    size = len(v) if isinstance(v, (list, str)) else -1
    return label, size


def membership(x, items):
    if x not in items:
        return "missing"
    if x is None:
        return "none"
    return "present"


nan = math.nan
assert classify(1, 2) == "lt" and classify(nan, 2) == "not-lt" and classify(2, nan) == "not-lt"
hits = 0
if nan != nan:
    hits += 1
if nan <= 0:
    hits += 10
else:
    hits += 100
assert hits == 101
assert [grade(s) for s in (95, 80, 61, 60)] == [4, 3, 2, 0]
assert chained(1, 2, 2) == (True, True) and chained(3, 2, 5) == (False, True)
assert truthy([]) == ("no", 0) and truthy("ab") == ("yes", 2) and truthy(0) == ("no", -1)
assert membership(None, [None]) == "none" and membership(1, []) == "missing"
x = 5
y = x * 2 if x > 3 else x - 2 if x > 0 else 0
assert y == 10
print(classify(nan, 0), hits, grade(85), chained(1, 1, 1), truthy("x"), y)
