"""Comprehension scopes, generators and iterators, yield from, generator expressions with conditions."""


def squares(n):
    for i in range(n):
        yield i * i


def evens_then_odds(n):
    yield from (x for x in range(n) if x % 2 == 0)
    yield from (x for x in range(n) if x % 2)


def take(iterable, k):
    out = []
    it = iter(iterable)
    while len(out) < k:
        try:
            out.append(next(it))
        except StopIteration:
            break
    return out


def fib():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b


def comprehension_scopes():
    x = "outer"
    values = [x for x in range(3)]
    pairs = {(x, y) for x in range(2) for y in range(x)}
    table = {k: v for k, v in zip("ab", range(2))}
    nested = [[x * y for y in range(3)] for x in range(2)]
    return x, values, sorted(pairs), table, nested


def send_gen():
    total = 0
    while True:
        value = yield total
        if value is None:
            return total
        total += value


assert list(squares(4)) == [0, 1, 4, 9]
assert list(evens_then_odds(5)) == [0, 2, 4, 1, 3]
assert take(fib(), 8) == [0, 1, 1, 2, 3, 5, 8, 13]
assert take(range(2), 5) == [0, 1]
assert comprehension_scopes() == ("outer", [0, 1, 2], [(1, 0)], {"a": 0, "b": 1}, [[0, 0, 0], [0, 1, 2]])
g = send_gen()
next(g)
g.send(3)
assert g.send(4) == 7
assert sum(x for x in range(10) if x % 3 == 0) == 18
print(list(squares(3)), take(fib(), 5), comprehension_scopes()[1])
