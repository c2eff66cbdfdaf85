"""global/nonlocal, closures, late binding in lambdas, default-argument capture, class-body scopes."""

counter = 0


def bump():
    global counter
    counter += 1
    return counter


def make_counter():
    count = 0

    def inc(step=1):
        nonlocal count
        count += step
        return count

    return inc


def late_binding():
    fs = [lambda: i for i in range(3)]
    gs = [lambda i=i: i for i in range(3)]
    return [f() for f in fs], [g() for g in gs]


def shadowing(x):
    def inner():
        x = 10
        return x

    y = inner()
    return x + y


class Config:
    size = 3
    doubled = size * 2
    names = [s for s in range(size)]

    def __init__(self, size=None):
        self.size = size if size is not None else Config.size

    def area(self):
        size = self.size
        return size * size


def reads_global():
    return counter * 100


bump()
bump()
assert counter == 2 and reads_global() == 200
inc = make_counter()
inc()
assert inc(5) == 6
assert late_binding() == ([2, 2, 2], [0, 1, 2])
assert shadowing(1) == 11
assert Config.doubled == 6 and Config.names == [0, 1, 2]
assert Config().area() == 9 and Config(size=4).area() == 16
print(counter, inc(), late_binding(), Config(2).area())
