// std::string building, vectors of structs, iterators, erase-remove, identifiers inside string literals.
#include <algorithm>
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

struct Item {
    std::string name;
    int qty;
};

static std::string reverse(const std::string &text) {
    std::string result;
    for (auto it = text.rbegin(); it != text.rend(); ++it) result += *it;
    return result;
}

static int total(const std::vector<Item> &items) {
    int sum = 0;
    for (const Item &item : items) {
        if (item.qty < 0) continue;
        sum += item.qty;
    }
    return sum;
}

int main() {
    std::string text = "text";
    // "text" names the variable and appears in this comment and in the literal
    check(reverse(text) == "txet", "reverse");
    std::vector<Item> items = {{"apple", 3}, {"pear", -1}, {"fig", 4}};
    check(total(items) == 7, "total");
    items.erase(std::remove_if(items.begin(), items.end(), [](const Item &i) { return i.qty < 0; }), items.end());
    check(items.size() == 2 && items[1].name == "fig", "erase-remove");
    std::vector<int> xs;
    for (int i = 0; i < 5; i++) xs.push_back(i * i);
    int odd = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        if (xs[k] % 2 == 0) continue;
        odd += xs[k];
    }
    check(odd == 10, "odd squares");
    std::string joined;
    for (const auto &item : items) {
        if (!joined.empty()) joined += ",";
        joined += item.name;
    }
    check(joined == "apple,fig", "join");
    std::printf("%s %d %d %s\n", reverse("abc").c_str(), total(items), odd, joined.c_str());
    return 0;
}
