"""match statements with capture patterns and guards, recursion, mutual recursion, lambdas."""


def describe(value):
    match value:
        case 0:
            return "zero"
        case [first, *rest] if first > 0:
            return f"list {first} +{len(rest)}"
        case {"kind": kind, **others}:
            return f"dict {kind} {sorted(others)}"
        case int(n) if n < 0:
            return f"neg {n}"
        case str() as text:
            return "str " + text
        case _:
            return "other"


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def is_even(n):
    return n == 0 or is_odd(n - 1)


def is_odd(n):
    return n != 0 and is_even(n - 1)


def flatten(tree):
    if isinstance(tree, list):
        result = []
        for sub in tree:
            result.extend(flatten(sub))
        return result
    return [tree]


compose = lambda f, g: lambda x: f(g(x))  # noqa: E731
inc = lambda x: x + 1  # noqa: E731

assert describe(0) == "zero" and describe([2, 3, 4]) == "list 2 +2"
assert describe({"kind": "k", "a": 1}) == "dict k ['a']" and describe(-3) == "neg -3"
assert describe("s") == "str s" and describe([-1]) == "other"
assert fact(10) == 3628800 and is_even(10) and is_odd(7)
assert flatten([1, [2, [3, 4]], 5]) == [1, 2, 3, 4, 5]
assert compose(inc, inc)(1) == 3
print(describe([1]), fact(5), flatten([[1], 2]), compose(inc, fact)(3))
