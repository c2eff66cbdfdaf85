"""Attributes named like locals (self.count vs count), methods named like locals, class attributes,
inheritance with super(), __slots__-free dunder methods, name mangling."""


class Counter:
    count = 100

    def __init__(self, count=0):
        self.count = count
        self.__secret = count * 2

    def add(self, count):
        self.count += count
        return self.count

    def count_twice(self):
        count = self.count
        return count + Counter.count

    def secret(self):
        return self.__secret

    def __eq__(self, other):
        return isinstance(other, Counter) and self.count == other.count

    def __hash__(self):
        return hash(self.count)

    def __repr__(self):
        return f"Counter({self.count})"


class Limited(Counter):
    def add(self, count):
        total = super().add(count)
        if total > 10:
            self.count = 10
        return self.count


def add(a, b):
    return a + b


def uses_method_names():
    add_result = add(1, 2)
    c = Counter(1)
    add_method = c.add
    secret = c.secret()
    return add_result, add_method(4), secret, getattr(c, "count")


c = Counter(3)
assert c.add(4) == 7 and c.count == 7 and Counter.count == 100
assert c.count_twice() == 107
assert c.secret() == 6 and c._Counter__secret == 6
lim = Limited(5)
assert lim.add(3) == 8 and lim.add(9) == 10
assert Counter(2) == Counter(2) and len({Counter(1), Counter(1)}) == 1
assert uses_method_names() == (3, 5, 2, 5)
assert repr(Counter(4)) == "Counter(4)"
print(c, lim, uses_method_names())
