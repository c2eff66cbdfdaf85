/* Integer division and remainder with negatives, shifts, int/double mixing. */
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int mean(const int *xs, int n) {
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += xs[i];
    return sum / n;
}

int main(void) {
    check(7 / 2 == 3 && -7 / 2 == -3 && 7 % -3 == 1 && -7 % 3 == -1, "div/mod");
    int xs[] = {1, 2, 4};
    check(mean(xs, 3) == 2, "mean");
    double ratio = 1 / 2;
    double real = 1 / 2.0;
    check(ratio == 0.0 && real == 0.5, "int vs double");
    check((16 >> 2) == 4 && (1u << 31) == 2147483648u, "shifts");
    int digits = 0;
    for (int n = 12345; n > 0; n /= 10)
        digits++;
    check(digits == 5, "digits");
    int a = 84, b = 36;
    while (b != 0) {
        int tmp = a % b;
        a = b;
        b = tmp;
    }
    check(a == 12, "gcd");
    long long wide = 2147483647LL + 1;
    check(wide == 2147483648LL, "long long");
    int avg = (7 + 8) / 2;
    check(avg == 7, "avg");
    printf("%d %d %d %lld\n", mean(xs, 3), digits, a, wide);
    return 0;
}
