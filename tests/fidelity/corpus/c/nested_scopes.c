/* Shadowing in nested blocks, static locals, sibling functions reusing names, for-declared variables. */
#include <stdio.h>
#include <stdlib.h>

static int x = 1000;

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int counter(void) {
    static int calls = 0;
    return ++calls;
}

static int shadow(int x) {
    int result = x;
    {
        int x = 5;
        result += x;
        {
            int x = 7;
            result *= x;
        }
        result += x;
    }
    for (int x = 0; x < 3; x++)
        result += x;
    return result + x;
}

static int uses_global(void) {
    int y = x;
    {
        int x = 1;
        y += x;
    }
    return y;
}

int main(void) {
    check(shadow(1) == 51, "shadow");
    check(uses_global() == 1001, "global");
    counter();
    counter();
    check(counter() == 3, "static local");
    int i = 10;
    for (int i = 0; i < 2; i++) {
        int j = i;
        (void)j;
    }
    check(i == 10, "for scope");
    int total = 0;
    for (int i = 0; i < 3; i++) {
        for (int i = 0; i < 2; i++)
            total += 1;
        total += 10;
    }
    check(total == 36, "inner shadow");
    printf("%d %d %d %d\n", shadow(2), uses_global(), i, total);
    return 0;
}
