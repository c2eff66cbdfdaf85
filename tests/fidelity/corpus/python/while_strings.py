"""while loops with continue/break/else, string building with +=, integer arithmetic, swaps."""


def collatz(x):
    steps = 0
    while x > 1 and steps < 500:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        steps += 1
    return steps


def reverse(text):
    result = ""
    i = len(text) - 1
    while i >= 0:
        result += text[i]
        i -= 1
    return result


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def digits(n):
    count = 0
    while True:
        count += 1
        n //= 10
        if n == 0:
            break
    return count


def skip_vowels(text):
    out = ""
    i = 0
    while i < len(text):
        ch = text[i]
        i += 1
        if ch in "aeiou":
            continue
        out += ch
    return out


assert collatz(27) == 111 and collatz(1) == 0
assert reverse("abc") == "cba" and reverse("") == ""
assert gcd(84, 36) == 12
assert digits(0) == 1 and digits(12345) == 5
assert skip_vowels("identifier") == "dntfr"
assert -7 // 2 == -4 and -7 % 3 == 2 and 7 % -3 == -2
print(collatz(97), reverse("metacompress"), gcd(17, 5), digits(99), skip_vowels("queue"))
