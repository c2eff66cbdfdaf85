/* goto and labels; a label named like a variable (labels live in their own namespace). */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int find(const int *xs, int n, int key) {
    int i;
    for (i = 0; i < n; i++) {
        if (xs[i] == key)
            goto found;
    }
    return -1;
found:
    return i;
}

static int cleanup(int fail_at) {
    int state = 0;
    if (fail_at == 1)
        goto out;
    state |= 1;
    if (fail_at == 2)
        goto undo;
    state |= 2;
    return state;
undo:
    state |= 8;
out:
    return state + 100;
}

static int loop_by_goto(int n) {
    int acc = 0;
    int count = 0;
count:
    if (count < n) {
        acc += count;
        count++;
        goto count;
    }
    return acc;
}

static int break_nested(int n) {
    int result = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            if (i * j == 6)
                goto done;
            result++;
        }
    }
done:
    return result;
}

int main(void) {
    int xs[] = {4, 8, 15, 16, 23, 42};
    check(find(xs, 6, 16) == 3 && find(xs, 6, 5) == -1, "find");
    check(cleanup(0) == 3 && cleanup(1) == 100 && cleanup(2) == 109, "cleanup");
    check(loop_by_goto(5) == 10, "loop_by_goto");
    check(break_nested(5) == 13, "break_nested");
    printf("%d %d %d %d\n", find(xs, 6, 42), cleanup(2), loop_by_goto(4), break_nested(5));
    return 0;
}
