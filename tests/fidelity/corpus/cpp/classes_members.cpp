// Members vs locals with the same name (this->count vs count), methods named like locals,
// constructors with initialiser lists, static members, inheritance and virtual calls.
#include <cstdio>
#include <cstdlib>

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

class Counter {
public:
    static int created;
    explicit Counter(int count) : count(count) { ++created; }
    int add(int count) {
        this->count += count;
        return this->count;
    }
    int size() const { return count * 2; }
    int twice() const {
        int size = this->size();
        return size + count;
    }
    virtual int kind() const { return 1; }
    virtual ~Counter() = default;

protected:
    int count;
};

int Counter::created = 0;

class Special : public Counter {
public:
    Special() : Counter(100) {}
    int kind() const override { return 2 + count; }
};

struct Point {
    int x, y;
    Point operator+(const Point &o) const { return {x + o.x, y + o.y}; }
    bool operator==(const Point &o) const { return x == o.x && y == o.y; }
};

// Only operator< exists: `a < b` must not become `b > a`.
struct Version {
    int major;
    bool operator<(const Version &o) const { return major < o.major; }
};

int main() {
    Counter c(3);
    check(c.add(4) == 7, "add");
    check(c.size() == 14 && c.twice() == 21, "size");
    Special s;
    const Counter &base = s;
    check(base.kind() == 102 && c.kind() == 1, "virtual");
    check(Counter::created == 2, "static member");
    int count = c.add(1);
    int size = count * 3;
    check(count == 8 && size == 24, "locals named like members");
    Point p{1, 2}, q{3, 4};
    Point r = p + q;
    check(r == Point{4, 6}, "operators");
    Version older{1}, newer{2};
    check(older < newer && !(newer < older), "operator<");
    int x = r.x;
    check(x == 4, "member vs local x");
    std::printf("%d %d %d %d\n", count, size, base.kind(), r.y);
    return 0;
}
