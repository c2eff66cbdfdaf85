/* continue inside for loops (the update must still run), nested break/continue, do-while, comma updates. */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int sum_odd(int n) {
    int total = 0;
    int i;
    for (i = 0; i < n; i++) {
        if (i % 2 == 0)
            continue;
        total += i;
    }
    return total;
}

static int nested(int n) {
    int hits = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j += 2) {
            if (j > i)
                break;
            if ((i + j) % 3 == 0)
                continue;
            hits += i * j + 1;
        }
    }
    return hits;
}

static int comma_update(void) {
    int count = 0;
    int i, j;
    for (i = 0, j = 10; i < j; i++, j--) {
        if (i == 2)
            continue;
        count += j - i;
    }
    return count;
}

static int do_while(int x) {
    int steps = 0;
    do {
        x = x % 2 == 0 ? x / 2 : 3 * x + 1;
        steps++;
        if (steps > 1000)
            break;
    } while (x != 1);
    return steps;
}

static int while_continue(int n) {
    int k = 0, acc = 0;
    while (k < n) {
        k++;
        if (k % 3 == 0)
            continue;
        acc += k;
    }
    return acc;
}

static int forever(int n) {
    int i = 0, seen = 0;
    for (;;) {
        if (i >= n)
            break;
        seen += i;
        i++;
    }
    return seen;
}

int main(void) {
    check(sum_odd(10) == 25, "sum_odd");
    check(nested(6) == 44, "nested");
    check(comma_update() == 24, "comma_update");
    check(do_while(27) == 111, "do_while");
    check(while_continue(10) == 37, "while_continue");
    check(forever(7) == 21, "forever");
    printf("%d %d %d %d %d\n", sum_odd(10), nested(6), comma_update(), do_while(27), forever(5));
    return 0;
}
