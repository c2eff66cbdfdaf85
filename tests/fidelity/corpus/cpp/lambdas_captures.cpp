// Lambdas capturing by value and by reference, mutable lambdas, std::function, generic lambdas.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>
#include <algorithm>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static std::function<int()> make_counter(int start) {
    return [start]() mutable { return start++; };
}

int main() {
    int offset = 10;
    auto by_value = [offset](int x) { return x + offset; };
    auto by_ref = [&offset](int x) { return x + offset; };
    offset = 20;
    check(by_value(1) == 11 && by_ref(1) == 21, "captures");
    auto counter = make_counter(5);
    counter();
    check(counter() == 6, "mutable");
    int total = 0;
    std::vector<int> xs = {5, 3, 8, 1};
    std::for_each(xs.begin(), xs.end(), [&](int v) { total += v; });
    check(total == 17, "for_each");
    std::sort(xs.begin(), xs.end(), [](int a, int b) { return a > b; });
    check(xs[0] == 8 && xs[3] == 1, "sort desc");
    auto twice = [](auto f, auto v) { return f(f(v)); };
    check(twice([](int v) { return v * 3; }, 2) == 18, "generic");
    int x = 1;
    auto shadow = [x](int y) {
        int x2 = x + y;
        return x2;
    };
    x = 100;
    check(shadow(2) == 3, "capture copy");
    std::function<int(int)> fact = [&fact](int n) { return n <= 1 ? 1 : n * fact(n - 1); };
    check(fact(6) == 720, "recursive lambda");
    std::printf("%d %d %d %d\n", by_value(0), total, xs[1], fact(5));
    return 0;
}
