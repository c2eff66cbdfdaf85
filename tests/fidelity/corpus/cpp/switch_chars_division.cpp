// switch on chars with fall-through, char and unsigned arithmetic, integer division, do-while with continue.
#include <cstdio>
#include <cstdlib>
#include <cstring>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static int score(const char *word) {
    int total = 0;
    for (const char *p = word; *p; ++p) {
        switch (*p) {
        case 'a':
        case 'e':
            total += 1;
            break;
        case 'z':
            total += 10;
            [[fallthrough]];
        case 'q':
            total += 5;
            break;
        default:
            break;
        }
    }
    return total;
}

static int do_continue(int n) {
    int i = 0, acc = 0;
    do {
        i++;
        if (i % 2) continue;
        acc += i;
    } while (i < n);
    return acc;
}

int main() {
    check(score("maze") == 17 && score("q") == 5 && score("xyz") == 15, "switch");
    char c = 'y';
    c += 1;
    unsigned char u = 250;
    u += 10;
    unsigned int big = 0;
    big -= 1;
    check(c == 'z' && u == 4 && big == 4294967295u, "wrap");
    check(7 / 2 == 3 && -7 / 2 == -3 && -7 % 3 == -1, "division");
    int q = 17;
    q /= 5;
    q %= 2;
    check(q == 1, "compound division");
    check(do_continue(10) == 30, "do continue");
    char word[8];
    std::strcpy(word, "abc");
    for (char *p = word; *p; ++p) *p -= 32;
    check(std::strcmp(word, "ABC") == 0, "upper");
    std::printf("%d %c %u %d %s\n", score("zeal"), c, u, do_continue(7), word);
    return 0;
}
