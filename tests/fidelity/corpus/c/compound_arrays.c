/* Compound assignments whose target has side effects: a[i++] += 2, *p++ += 1, a[next()] |= 4. */
#include <stdio.h>
#include <stdlib.h>

static int calls = 0;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int next(void) {
    return calls++;
}

int main(void) {
    int a[5] = {1, 2, 3, 4, 5};
    int i = 0;
    a[i++] += 2;
    a[i++] *= 3;
    check(i == 2 && a[0] == 3 && a[1] == 6, "a[i++] op=");
    a[next()] -= 10;
    a[next()] |= 1;
    check(calls == 2 && a[0] == -7 && a[1] == 7, "a[next()] op=");
    int *p = a + 2;
    *p++ += 100;
    *p++ <<= 1;
    check(a[2] == 103 && a[3] == 8 && p == a + 4, "*p++ op=");
    int m[2][3] = {{0}};
    int r = 0;
    m[r++][2] += 5;
    check(m[0][2] == 5 && r == 1, "2d");
    double d = 7;
    d /= 2;
    int q = 17;
    q /= 5;
    q %= 2;
    int neg = -17;
    neg /= 5;
    check(d == 3.5 && q == 1 && neg == -3, "division");
    struct { int hits; int arr[3]; } s = {0, {1, 1, 1}};
    s.hits += 2;
    s.arr[s.hits] += 40;
    check(s.arr[2] == 41, "struct member op=");
    printf("%d %d %d %d %d %d\n", a[0], a[1], a[2], a[3], m[0][2], s.arr[2]);
    return 0;
}
