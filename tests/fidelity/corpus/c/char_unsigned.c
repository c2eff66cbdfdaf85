/* Unsigned and char arithmetic: c += 1 on char, unsigned wrap, integer promotion, signed/unsigned compare. */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

int main(void) {
    char c = 'a';
    c += 1;
    check(c == 'b', "char +=");
    unsigned char u = 250;
    u += 10;
    check(u == 4, "uchar wrap");
    unsigned int big = 0;
    big -= 1;
    check(big == 4294967295u, "uint wrap");
    unsigned short us = 65535;
    us++;
    check(us == 0, "ushort wrap");
    unsigned char x = 200, y = 100;
    int promoted = x + y;
    check(promoted == 300, "promotion");
    unsigned char z = x + y;
    check(z == 44, "truncation");
    int neg = -1;
    unsigned int one = 1;
    check(neg > one, "signed/unsigned compare");
    check((unsigned char)(u - 5) == 255, "cast wrap");
    signed char sc = 127;
    sc = (signed char)(sc + 1);
    check(sc == -128, "schar");
    int digits = 0;
    for (unsigned int n = 12345; n != 0; n /= 10)
        digits++;
    check(digits == 5, "digits");
    unsigned int h = 2166136261u;
    for (const char *p = "fnv"; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    check(h == 3002452889u, "hash");
    printf("%c %u %u %u %d %u %d %u\n", c, u, big, us, promoted, z, sc, h);
    return 0;
}
