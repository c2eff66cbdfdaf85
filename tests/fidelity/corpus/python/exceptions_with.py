"""try/except/else/finally, `except ... as e` (e is unbound after the block), with statements,
continue inside try/finally in a for loop, context managers."""

import contextlib

log = []


@contextlib.contextmanager
def tag(name):
    log.append("enter " + name)
    try:
        yield name.upper()
    finally:
        log.append("exit " + name)


def parse(text):
    try:
        value = int(text)
    except ValueError as e:
        value = -1
        message = str(e)[:7]
    else:
        message = "ok"
    finally:
        log.append("parsed")
    return value, message


def finally_loop():
    n = 0
    for i in range(5):
        try:
            if i % 2 == 0:
                continue
            n += 10
        finally:
            n += 1
    return n


def unbound_after_except():
    try:
        raise KeyError("k")
    except KeyError as err:
        pass
    try:
        return err
    except NameError:
        return "unbound"


assert parse("12") == (12, "ok") and parse("x") == (-1, "invalid")
with tag("a") as t, tag("b") as u:
    log.append(t + u)
assert log[2:] == ["enter a", "enter b", "AB", "exit b", "exit a"], log
assert finally_loop() == 25
assert unbound_after_except() == "unbound"
print(parse("7"), finally_loop(), log[-5:])
