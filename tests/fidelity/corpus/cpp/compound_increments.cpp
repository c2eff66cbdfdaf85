// Compound assignments with side-effecting targets, increments as values, char/unsigned arithmetic,
// overloaded operator+= on a class (expanding it to a = a + b would need operator+).
#include <cstdio>
#include <cstdlib>
#include <string>

static int calls = 0;

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static int next_index() { return calls++; }

struct Acc {
    int total = 0;
    Acc &operator+=(int v) {
        total += v;
        return *this;
    }
};

int main() {
    int a[5] = {1, 2, 3, 4, 5};
    int i = 0;
    a[i++] += 2;
    a[i++] *= 3;
    check(i == 2 && a[0] == 3 && a[1] == 6, "a[i++] op=");
    a[next_index()] -= 10;
    a[next_index()] |= 1;
    check(calls == 2 && a[0] == -7 && a[1] == 7, "a[next()] op=");
    int j = 5;
    int mix = j++ + ++j;
    (void)mix;
    int k = 10;
    k--;
    --k;
    k++;
    check(k == 9, "statement incs");
    char c = 'a';
    c += 1;
    unsigned char u = 250;
    u += 10;
    check(c == 'b' && u == 4, "char arithmetic");
    Acc acc;
    acc += 5;
    acc += 6;
    check(acc.total == 11, "operator+=");
    std::string s = "x";
    s += "y";
    s += 'z';
    check(s == "xyz", "string +=");
    int q = -17;
    q /= 5;
    check(q == -3, "int div");
    int n = 3, loops = 0;
    while (n-- > 0) loops++;
    check(loops == 3 && n == -1, "post-dec cond");
    std::printf("%d %d %d %d %c %u %d %s\n", a[0], a[1], i, k, c, u, acc.total, s.c_str());
    return 0;
}
