// References (modifying through an alias), range-for by value vs by reference, vectors, strings.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static void bump(int &x, int by = 1) { x += by; }

static int sum(const std::vector<int> &xs) {
    int total = 0;
    for (int x : xs) total += x;
    return total;
}

int main() {
    int value = 1;
    int &alias = value;
    alias += 4;
    bump(value);
    bump(alias, 10);
    check(value == 16, "references");
    std::vector<int> xs = {1, 2, 3};
    for (int x : xs) x *= 10;
    check(sum(xs) == 6, "by value");
    for (int &x : xs) x *= 10;
    check(sum(xs) == 60, "by reference");
    for (auto &x : xs) {
        if (x == 20) continue;
        x += 1;
    }
    check(xs[0] == 11 && xs[1] == 20 && xs[2] == 31, "continue in range-for");
    std::string s;
    for (char c : std::string("abc")) {
        s += c;
        s += '-';
    }
    check(s == "a-b-c-", "string +=");
    const int &cref = xs[1];
    xs[1] = 99;
    check(cref == 99, "const ref sees update");
    int arr[] = {5, 6, 7};
    int total = 0;
    for (const auto &a : arr) total += a;
    check(total == 18, "array range-for");
    std::printf("%d %d %s %d\n", value, sum(xs), s.c_str(), total);
    return 0;
}
