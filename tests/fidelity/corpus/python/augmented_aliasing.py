"""Augmented assignment traps: list += mutates in place (aliases see it) while x = x + y rebinds;
subscript targets with side effects must be evaluated once; // and % with negatives."""

calls = []


def idx(i):
    calls.append(i)
    return i


def in_place():
    a = [1]
    alias = a
    a += [2]
    t = (1,)
    t_alias = t
    t += (2,)
    return alias, t_alias, t


def subscripts():
    data = [10, 20, 30]
    data[idx(0)] += 1
    data[idx(2)] *= 2
    grid = {"k": [0, 0]}
    grid["k"][idx(1)] -= 5
    return data, grid, list(calls)


class Box:
    reads = 0

    def __init__(self):
        self._v = 1

    @property
    def v(self):
        Box.reads += 1
        return self._v

    @v.setter
    def v(self, value):
        self._v = value


def division():
    q = -7
    q //= 2
    r = -7
    r %= 3
    f = 7
    f /= 2
    p = 2
    p **= 10
    s = "ab"
    s *= 2
    bits = 0b1010
    bits ^= 0b0110
    bits >>= 1
    return q, r, f, p, s, bits


assert in_place() == ([1, 2], (1,), (1, 2))
assert subscripts() == ([11, 20, 60], {"k": [0, -5]}, [0, 2, 1])
b = Box()
b.v += 5
assert b.v == 6 and Box.reads == 2
assert division() == (-4, 2, 3.5, 1024, "abab", 6)
print(in_place(), division())
