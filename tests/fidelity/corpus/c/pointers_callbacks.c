/* Function pointers, callbacks, pointer arithmetic, arrays of structs, qsort comparator. */
#include <stdio.h>
#include <stdlib.h>

typedef int (*binop)(int, int);

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }

static int fold(const int *xs, int n, int init, binop op) {
    int acc = init;
    for (const int *p = xs; p < xs + n; ++p)
        acc = op(acc, *p);
    return acc;
}

static int cmp_desc(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

static void fill(int *out, int n, int (*gen)(int)) {
    while (n-- > 0)
        *out++ = gen(n);
}

static int triple(int v) { return v * 3; }

int main(void) {
    int xs[] = {3, 1, 4, 1, 5};
    check(fold(xs, 5, 0, add) == 14, "fold add");
    check(fold(xs, 5, 1, mul) == 60, "fold mul");
    binop ops[2] = {add, mul};
    check(ops[1](6, 7) == 42, "table");
    qsort(xs, 5, sizeof xs[0], cmp_desc);
    check(xs[0] == 5 && xs[4] == 1, "qsort");
    int out[4];
    fill(out, 4, triple);
    check(out[0] == 9 && out[3] == 0, "fill");
    int *mid = &xs[2];
    check(mid[-1] == 4 && *(mid + 1) == 1 && mid - xs == 2, "pointer arithmetic");
    char buf[8] = "abc";
    char *s = buf;
    int len = 0;
    while (*s++)
        len++;
    check(len == 3, "strlen loop");
    printf("%d %d %d %d %d\n", fold(xs, 5, 0, add), xs[0], out[0], mid[0], len);
    return 0;
}
