// Ternaries (statement-level, nested, with side effects), if/else chains, NaN, short circuit.
#include <cmath>
#include <cstdio>
#include <cstdlib>

static int calls = 0;

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static int tick(int v) {
    calls++;
    return v;
}

static const char *sign(int x) { return x > 0 ? "pos" : x < 0 ? "neg" : "zero"; }

static int classify(double x, double y) {
    int r;
    if (x < y) {
        r = 1;
    } else {
        r = 2;
    }
    return r;
}

static int grade(int score) {
    if (score >= 90)
        return 4;
    else if (score >= 80)
        return 3;
    else
        return 0;
}

int main() {
    int a = 4;
    int b = a > 3 ? tick(1) : tick(2);
    check(b == 1 && calls == 1, "lazy");
    int m;
    m = a > 2 ? 10 : 20;
    m += a > 100 ? 1 : 2;
    check(m == 12, "assign ternary");
    a > 10 ? tick(0) : tick(0);
    check(calls == 2, "statement ternary");
    check(sign(-3)[0] == 'n' && sign(0)[0] == 'z', "nested");
    double nan = std::nan("");
    check(classify(1, 2) == 1 && classify(nan, 2) == 2 && classify(2, nan) == 2, "nan");
    check(grade(95) == 4 && grade(85) == 3 && grade(10) == 0, "grade");
    int hits = 0;
    if (a > 0 && tick(1)) hits++;
    if (a < 0 && tick(1)) hits += 10;
    check(hits == 1 && calls == 3, "short circuit");
    double d = a > 0 ? 1 : 2.5;
    check(d == 1.0, "conversion");
    std::printf("%d %d %s %d %d\n", b, m, sign(5), classify(nan, 0), hits);
    return 0;
}
