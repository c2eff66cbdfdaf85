/* Short-circuit conditions with side effects (sequenced by && and ||), null guards, comma operator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int counter = 0;
static char trace[64];

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int t(const char *tag) {
    strcat(trace, tag);
    return 1;
}

static int f(const char *tag) {
    strcat(trace, tag);
    return 0;
}

static int next(void) {
    return ++counter;
}

int main(void) {
    if (f("a") && t("b"))
        check(0, "and");
    if (t("c") || f("d"))
        strcat(trace, "!");
    check(strcmp(trace, "ac!") == 0, "short circuit");
    int *arr = NULL;
    int n = 0;
    if (arr != NULL && arr[0] > 0)
        n = 1;
    check(n == 0, "null guard");
    int i = 0;
    while (i < 10 && next() != 7)
        i++;
    check(counter == 7 && i == 6, "while cond");
    int k = 3;
    int r = k > 2 || next() > 0;
    check(r && counter == 7, "no eval");
    int x = (next(), next());
    check(x == 9, "comma");
    int y = counter > 5 ? next() : -next();
    check(y == 10, "ternary side effect");
    int ok = !(k < 2) && !(counter >= 100);
    check(ok, "negations");
    printf("%s %d %d %d %d\n", trace, counter, i, x, y);
    return 0;
}
