"""for...else, range loops with continue/break, loop variable reassigned in the body, value after the loop."""


def find_first(xs, key):
    for i in range(len(xs)):
        if xs[i] == key:
            break
    else:
        return -1
    return i


def sum_odd(n):
    total = 0
    for i in range(n):
        if i % 2 == 0:
            continue
        total += i
    return total


def reassign_in_body():
    seen = []
    for i in range(3):
        i += 10  # does not affect the iteration in Python
        seen.append(i)
    return seen


def last_value():
    for k in range(2, 11, 3):
        pass
    return k


def empty_range():
    k = "unset"
    for k in range(5, 0):
        pass
    return k


def negative_step():
    out = []
    for j in range(10, 0, -3):
        if j == 7:
            continue
        out.append(j)
    return out


def nested():
    hits = 0
    for a in range(5):
        for b in range(5):
            if b > a:
                break
            if (a + b) % 3 == 0:
                continue
            hits += a * b + 1
    return hits


def while_else(n):
    i = 0
    while i < n:
        if i == 100:
            break
        i += 1
    else:
        i = -i
    return i


assert find_first([4, 5, 6], 6) == 2 and find_first([1], 9) == -1
assert sum_odd(10) == 25
assert reassign_in_body() == [10, 11, 12]
assert last_value() == 8
assert empty_range() == "unset"
assert negative_step() == [10, 4, 1]
assert nested() == 56, nested()
assert while_else(5) == -5
print(find_first([3, 2, 1], 1), sum_odd(7), reassign_in_body(), last_value(), negative_step(), nested())
