"""Decorators (with and without arguments), functools.wraps, f-strings naming locals, walrus operator."""

import functools

calls = []


def trace(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        calls.append(fn.__name__)
        return fn(*args, **kwargs)

    return wrapper


def repeat(times):
    def deco(fn):
        def wrapper(x):
            for _ in range(times):
                x = fn(x)
            return x

        return wrapper

    return deco


@trace
def greet(name, punct="!"):
    greeting = "hello"
    return f"{greeting}, {name}{punct}"


@repeat(times=3)
def double(x):
    return x * 2


def describe(width, height):
    area = width * height
    return f"{width}x{height}={area:>4} {area!r} {'big' if area > 10 else 'small'} {{area}}"


def walrus(values):
    out = []
    if (n := len(values)) > 2:
        out.append(n)
    while (item := values.pop()) != 0:
        out.append(item)
    return out, [y for x in range(4) if (y := x * x) > 1]


assert greet("bob") == "hello, bob!" and greet(name="al", punct="?") == "hello, al?"
assert calls == ["greet", "greet"] and greet.__name__ == "greet"
assert double(1) == 8
assert describe(3, 4) == "3x4=  12 12 big {area}", describe(3, 4)
assert walrus([0, 5, 6]) == ([3, 6, 5], [4, 9])
print(greet("x"), double(2), describe(2, 2), walrus([0, 1, 2, 3]))
