/* Forward declarations (prototypes must follow a renamed function), mutual and plain recursion. */
#include <stdio.h>
#include <stdlib.h>

static int is_even(int n);
static int is_odd(int n);
long fib(int n);

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int is_even(int n) {
    return n == 0 || is_odd(n - 1);
}

static int is_odd(int n) {
    return n != 0 && is_even(n - 1);
}

long fib(int n) {
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

static int ackermann(int m, int n) {
    if (m == 0)
        return n + 1;
    else if (n == 0)
        return ackermann(m - 1, 1);
    else
        return ackermann(m - 1, ackermann(m, n - 1));
}

static void hanoi(int n, int *moves) {
    if (n == 0)
        return;
    hanoi(n - 1, moves);
    (*moves)++;
    hanoi(n - 1, moves);
}

int main(void) {
    check(is_even(10) && is_odd(7) && !is_odd(4), "mutual");
    check(fib(20) == 6765, "fib");
    check(ackermann(2, 3) == 9, "ackermann");
    int moves = 0;
    hanoi(6, &moves);
    check(moves == 63, "hanoi");
    printf("%ld %d %d\n", fib(15), ackermann(1, 5), moves);
    return 0;
}
