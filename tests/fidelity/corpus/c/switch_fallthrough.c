/* switch fall-through, default in the middle, declarations in cases, continue/break inside switch in loops. */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int fall(int k) {
    int r = 0;
    switch (k) {
    case 1:
        r += 1;
    case 2:
        r += 10;
        break;
    default:
        r += 1000;
    case 3:
        r += 100;
        break;
    case 4: {
        int local = k * 2;
        r = local;
    }
    }
    return r;
}

static int loop_switch(int n) {
    int acc = 0;
    for (int i = 0; i < n; i++) {
        switch (i % 4) {
        case 0:
            continue;
        case 1:
            acc += 1;
            break;
        case 2:
            acc += 2;
        default:
            acc += 3;
        }
        acc *= 2;
    }
    return acc;
}

static int duff(int count) {
    int n = (count + 3) / 4;
    int copied = 0;
    switch (count % 4) {
    case 0:
        do {
            copied++;
        case 3:
            copied++;
        case 2:
            copied++;
        case 1:
            copied++;
        } while (--n > 0);
    }
    return copied;
}

static const char *name(char c) {
    switch (c) {
    case 'a':
    case 'e':
        return "vowel";
    case ' ':
        return "space";
    }
    return "other";
}

int main(void) {
    check(fall(1) == 11 && fall(2) == 10 && fall(3) == 100 && fall(4) == 8 && fall(9) == 1100, "fall");
    check(loop_switch(9) == 306, "loop_switch");
    check(duff(7) == 7 && duff(8) == 8 && duff(1) == 1, "duff");
    check(name('e')[0] == 'v' && name(' ')[0] == 's' && name('x')[0] == 'o', "name");
    printf("%d %d %d %s\n", fall(1) + fall(9), loop_switch(9), duff(13), name('a'));
    return 0;
}
