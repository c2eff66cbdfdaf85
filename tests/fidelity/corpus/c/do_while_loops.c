/* do-while with continue (jumps to the condition), while loops with compound conditions, binary search. */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int bsearch_int(const int *xs, int n, int key) {
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (xs[mid] < key)
            lo = mid + 1;
        else if (xs[mid] > key)
            hi = mid - 1;
        else
            return mid;
    }
    return -(lo + 1);
}

static int do_continue(int n) {
    int i = 0, acc = 0;
    do {
        i++;
        if (i % 2)
            continue;
        acc += i;
    } while (i < n);
    return acc;
}

static int first_square_above(int limit) {
    int n = 0;
    while (1) {
        n++;
        if (n * n > limit)
            break;
    }
    return n;
}

int main(void) {
    int xs[] = {1, 3, 5, 7, 9, 11};
    check(bsearch_int(xs, 6, 7) == 3 && bsearch_int(xs, 6, 4) == -3, "bsearch");
    check(do_continue(10) == 30, "do_continue");
    check(first_square_above(50) == 8, "square");
    int x = 100, steps = 0;
    while (x > 1 && steps < 50) {
        x = (x & 1) == 0 ? x >> 1 : x * 3 + 1;
        steps++;
    }
    check(steps == 25, "collatz");
    int k = 5, runs = 0;
    do
        runs++;
    while (--k);
    check(runs == 5, "do no braces");
    printf("%d %d %d %d %d\n", bsearch_int(xs, 6, 11), do_continue(7), first_square_above(99), steps, runs);
    return 0;
}
