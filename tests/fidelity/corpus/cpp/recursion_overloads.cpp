// Forward declarations, mutual recursion, default arguments, overloads resolved by type, static functions.
#include <cstdio>
#include <cstdlib>

static bool is_even(int n);
static bool is_odd(int n);

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static bool is_even(int n) { return n == 0 || is_odd(n - 1); }
static bool is_odd(int n) { return n != 0 && is_even(n - 1); }

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int describe(int v) { return v * 2; }
static int describe(double v) { return static_cast<int>(v * 10); }
static int describe(const char *v) { return v[0]; }

static int power(int base, int exp = 2) {
    int result = 1;
    for (int i = 0; i < exp; ++i) result *= base;
    return result;
}

static int gcd(int a, int b) {
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int main() {
    check(is_even(10) && is_odd(7) && !is_odd(4), "mutual");
    check(fib(20) == 6765, "fib");
    check(describe(3) == 6 && describe(0.5) == 5 && describe("A") == 65, "overloads");
    check(power(3) == 9 && power(2, 10) == 1024, "default argument");
    check(gcd(84, 36) == 12 && gcd(17, 5) == 1, "gcd");
    std::printf("%ld %d %d %d\n", fib(12), describe(2.5), power(5), gcd(48, 18));
    return 0;
}
