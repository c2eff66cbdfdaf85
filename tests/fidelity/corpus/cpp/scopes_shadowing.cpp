// Nested scopes and shadowing, static locals, if-with-initialiser, structured bindings, auto.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>

static int x = 1000;

static void check(bool ok, const char *what) {
    if (!ok) {
        std::printf("FAIL %s\n", what);
        std::exit(1);
    }
}

static int counter() {
    static int calls = 0;
    return ++calls;
}

static int shadow(int x) {
    int result = x;
    {
        int x = 5;
        result += x;
        {
            int x = 7;
            result *= x;
        }
    }
    for (int x = 0; x < 3; x++) result += x;
    return result + x + ::x;
}

static std::pair<int, std::string> make() { return {7, "seven"}; }

int main() {
    check(shadow(1) == 1046, "shadow");
    counter();
    check(counter() == 2, "static");
    auto [num, name] = make();
    check(num == 7 && name == "seven", "structured binding");
    std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    int total = 0;
    for (const auto &[key, value] : m) total += value * (key == "b" ? 10 : 1);
    check(total == 21, "map bindings");
    if (auto it = m.find("b"); it != m.end()) {
        total += it->second;
    } else {
        total = -1;
    }
    check(total == 23, "if init");
    int keys = 0;
    for (auto it = m.begin(); it != m.end(); it++) {
        keys += static_cast<int>(it->first.size());
    }
    check(keys == 2, "map iterator increments");
    int i = 10;
    for (int i = 0; i < 2; i++) {
    }
    check(i == 10, "for scope");
    std::printf("%d %d %s %d\n", shadow(2), num, name.c_str(), total);
    return 0;
}
