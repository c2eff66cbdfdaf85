/* Macros: constants, function-like macros, a macro whose body names a local variable of its caller,
 * stringification/token pasting, conditional compilation. */
#include <stdio.h>
#include <stdlib.h>

#define N 5
#define SQUARE(a) ((a) * (a))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ADD_TO_TOTAL(v) (total += (v))
#define STR(x) #x
#define CAT(a, b) a##b
#define SWAP(t, x, y) do { t tmp_ = x; x = y; y = tmp_; } while (0)
#define DEBUG 0

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int sum_squares(void) {
    int total = 0;
    for (int i = 1; i <= N; i++) {
        ADD_TO_TOTAL(SQUARE(i));
    }
    return total;
}

int main(void) {
    int value1 = 3, value2 = 9;
    check(sum_squares() == 55, "sum_squares");
    check(MAX(value1, value2) == 9, "max");
    int CAT(my, var) = 7;
    check(myvar == 7, "token paste");
    SWAP(int, value1, value2);
    check(value1 == 9 && value2 == 3, "swap");
    const char *name = STR(value1);
    check(name[0] == 'v' && name[5] == '1', "stringify");
    int i = 2;
    int sq = SQUARE(i + 1);
    check(sq == 9, "square");
#if DEBUG
    printf("debug\n");
#else
    i += 100;
#endif
    check(i == 102, "ifdef");
#ifdef N
    i++;
#endif
    check(i == 103, "ifdef N");
    printf("%d %d %s %d\n", sum_squares(), MAX(1, 2), name, i);
    return 0;
}
