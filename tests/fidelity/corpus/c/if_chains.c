/* if/else chains without braces, dangling else, NaN comparisons where !(x < y) differs from x >= y. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int classify(double x, double y) {
    int r;
    if (x < y)
        r = 1;
    else
        r = 2;
    return r;
}

static int grade(int score) {
    if (score >= 90)
        return 4;
    else if (score >= 80)
        return 3;
    else if (score > 60)
        return 2;
    else
        return 0;
}

static int dangling(int a, int b) {
    int r = 0;
    if (a > 0)
        if (b > 0)
            r = 1;
        else
            r = 2;
    return r;
}

int main(void) {
    double nan = NAN;
    check(classify(1, 2) == 1 && classify(nan, 2) == 2 && classify(2, nan) == 2, "nan");
    int hits = 0;
    if (nan != nan)
        hits++;
    if (nan <= 0)
        hits += 10;
    else
        hits += 100;
    check(hits == 101, "nan hits");
    check(grade(95) == 4 && grade(80) == 3 && grade(61) == 2 && grade(60) == 0, "grade");
    check(dangling(1, 1) == 1 && dangling(1, -1) == 2 && dangling(-1, 1) == 0, "dangling");
    int flags = 0;
    if (!flags) {
        flags = 3;
    } else {
        flags = 4;
    }
    check(flags == 3, "not");
    printf("%d %d %d %d\n", classify(nan, 0), hits, grade(85), flags);
    return 0;
}
