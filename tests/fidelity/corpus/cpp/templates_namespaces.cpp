// Templates (function and class), namespaces with same-named functions, qualified calls, overloads.
#include <cstdio>
#include <cstdlib>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

namespace geo {
int area(int side) { return side * side; }
int area(int w, int h) { return w * h; }
namespace detail {
int area(int r) { return 3 * r * r; }
}  // namespace detail
}  // namespace geo

template <typename T>
T max_of(T a, T b) {
    return a > b ? a : b;
}

template <typename T, int N>
struct Buffer {
    T items[N];
    int used = 0;
    void push(T v) { items[used++] = v; }
    T sum() const {
        T total{};
        for (int i = 0; i < used; ++i) total += items[i];
        return total;
    }
};

template <int N>
constexpr int factorial() {
    if constexpr (N <= 1) {
        return 1;
    } else {
        return N * factorial<N - 1>();
    }
}

int area(int x) { return -x; }

int main() {
    check(geo::area(3) == 9 && geo::area(2, 5) == 10 && geo::detail::area(2) == 12, "namespaces");
    check(area(4) == -4, "global area");
    check(max_of(3, 8) == 8 && max_of(2.5, 1.5) == 2.5, "template fn");
    Buffer<int, 4> buf;
    buf.push(3);
    buf.push(4);
    check(buf.sum() == 7 && buf.used == 2, "template class");
    static_assert(factorial<5>() == 120, "constexpr");
    using namespace geo;
    check(detail::area(1) == 3, "using namespace");
    std::printf("%d %d %d %d\n", geo::area(5), max_of(1, 9), buf.sum(), factorial<4>());
    return 0;
}
