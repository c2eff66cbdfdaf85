// for loops with continue (the update must still run), nested break/continue, do-while, while(true).
#include <cstdio>
#include <cstdlib>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static int sum_odd(int n) {
    int total = 0;
    for (int i = 0; i < n; ++i) {
        if (i % 2 == 0) continue;
        total += i;
    }
    return total;
}

static int nested(int n) {
    int hits = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j += 2) {
            if (j > i) break;
            if ((i + j) % 3 == 0) continue;
            hits += i * j + 1;
        }
    }
    return hits;
}

static int comma_update() {
    int count = 0;
    for (int i = 0, j = 10; i < j; i++, j--) {
        if (i == 2) continue;
        count += j - i;
    }
    return count;
}

static int do_while(int x) {
    int steps = 0;
    do {
        x = x % 2 == 0 ? x / 2 : 3 * x + 1;
        steps++;
    } while (x != 1);
    return steps;
}

static int while_true(int limit) {
    int n = 0;
    while (true) {
        n++;
        if (n * n > limit) break;
    }
    return n;
}

static int while_continue(int n) {
    int k = 0, acc = 0;
    while (k < n) {
        k++;
        if (k % 3 == 0) continue;
        acc += k;
    }
    return acc;
}

int main() {
    check(sum_odd(10) == 25, "sum_odd");
    check(nested(6) == 44, "nested");
    check(comma_update() == 24, "comma_update");
    check(do_while(27) == 111, "do_while");
    check(while_true(50) == 8, "while_true");
    check(while_continue(10) == 37, "while_continue");
    std::printf("%d %d %d %d %d\n", sum_odd(9), nested(5), comma_update(), do_while(7), while_true(10));
    return 0;
}
