"""Keyword arguments at call sites, parameters that shadow builtins, defaults evaluated at def time."""


def scale(value, factor=2, offset=0):
    return value * factor + offset


def total(list_, start=0):
    result = start
    for item in list_:
        result += item
    return result


def shadow_builtin(list, max=None):
    # `list` and `max` are parameters here, the builtins are used elsewhere
    best = list[0]
    for x in list:
        if x > best:
            best = x
    return best if max is None else min(best, max)


def uses_builtins(values):
    return len(values), sum(values), max(values), sorted(values)


def kwargs_only(*, width, height=1):
    return width * height


def collect(*args, **kwargs):
    return len(args), sorted(kwargs)


def accumulate(x, acc=[]):
    acc.append(x)
    return len(acc)


def forward(**options):
    return scale(**options)


assert scale(3) == 6 and scale(3, factor=3) == 9 and scale(value=1, offset=5) == 7
assert total([1, 2, 3]) == 6 and total(list_=[1], start=10) == 11
assert shadow_builtin([3, 9, 4]) == 9 and shadow_builtin(list=[3, 9], max=5) == 5
assert uses_builtins([3, 1, 2]) == (3, 6, 3, [1, 2, 3])
assert kwargs_only(width=4) == 4 and kwargs_only(width=2, height=3) == 6
assert collect(1, 2, value=3, factor=4) == (2, ["factor", "value"])
accumulate(1)
assert accumulate(2) == 2
assert forward(value=2, factor=5) == 10
opts = {"value": 1, "offset": 1}
assert scale(**opts) == 3
print(scale(5, offset=1), total([4, 5]), shadow_builtin([1, 7]), kwargs_only(width=3, height=3))
