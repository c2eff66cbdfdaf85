/* Nested ternaries in returns, assignments, arguments and as statement-level values. */
#include <stdio.h>
#include <stdlib.h>

static int calls = 0;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int tick(int v) {
    calls++;
    return v;
}

static const char *sign(int x) {
    return x > 0 ? "pos" : x < 0 ? "neg" : "zero";
}

static int clamp(int x, int lo, int hi) {
    int y;
    y = x < lo ? lo : x > hi ? hi : x;
    return y;
}

int main(void) {
    check(sign(3)[0] == 'p' && sign(-2)[0] == 'n' && sign(0)[0] == 'z', "sign");
    check(clamp(5, 0, 3) == 3 && clamp(-1, 0, 3) == 0 && clamp(2, 0, 3) == 2, "clamp");
    int a = 4;
    int b = a > 3 ? tick(1) : tick(2);
    check(b == 1 && calls == 1, "lazy");
    int m = 0;
    m += a > 2 ? 10 : 20;
    check(m == 10, "compound");
    a > 10 ? tick(0) : tick(0);
    check(calls == 2, "statement ternary");
    double d = a > 0 ? 1 : 2.5;
    check(d == 1.0, "arith conversion");
    unsigned u = a > 0 ? -1 : 0u;
    check(u == 4294967295u, "unsigned conversion");
    int arr[2] = {0, 0};
    arr[a > 3 ? 1 : 0] = 7;
    check(arr[1] == 7, "index");
    printf("%s %d %d %d %u %d\n", sign(-5), clamp(9, 1, 4), b, m, u, arr[1]);
    return 0;
}
