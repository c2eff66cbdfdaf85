// Macros naming caller locals, switch fall-through, enum class switch, goto in C++.
#include <cstdio>
#include <cstdlib>

#define SQUARE(a) ((a) * (a))
#define ACCUMULATE(v) (total += (v))
#define LIMIT 4

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

enum class Op { Add, Sub, Mul, Nop };

static int eval(Op op, int a, int b) {
    switch (op) {
    case Op::Add:
        return a + b;
    case Op::Sub:
        return a - b;
    case Op::Mul:
        return a * b;
    default:
        return 0;
    }
}

static int fall(int k) {
    int r = 0;
    switch (k) {
    case 1:
        r += 1;
        [[fallthrough]];
    case 2:
        r += 10;
        break;
    default:
        r += 1000;
        [[fallthrough]];
    case 3:
        r += 100;
        break;
    }
    return r;
}

int main() {
    int total = 0;
    for (int i = 1; i <= LIMIT; ++i) ACCUMULATE(SQUARE(i));
    check(total == 30, "macros");
    check(eval(Op::Add, 2, 3) == 5 && eval(Op::Mul, 2, 3) == 6 && eval(Op::Nop, 1, 1) == 0, "enum switch");
    check(fall(1) == 11 && fall(2) == 10 && fall(3) == 100 && fall(7) == 1100, "fall");
    int n = 0;
again:
    n++;
    if (n < 3) goto again;
    check(n == 3, "goto");
    std::printf("%d %d %d %d\n", total, eval(Op::Sub, 9, 4), fall(1), n);
    return 0;
}
