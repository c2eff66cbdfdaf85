/* Struct fields named like locals (p.count vs count), a function named like a local, enums, typedefs. */
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    int count;
    int size;
} Bag;

enum color { RED, GREEN = 5, BLUE };

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static int size(const Bag *b) {
    return b->size * 2;
}

static int count(Bag *bag, int count) {
    bag->count += count;
    return bag->count;
}

static int total(void) {
    int size = 3;
    int count = 4;
    Bag b = {count, size};
    return size * 10 + count + b.size;
}

int main(void) {
    Bag bag = {1, 5};
    int count_value = count(&bag, 6);
    check(count_value == 7 && bag.count == 7, "count");
    int size_value = size(&bag);
    check(size_value == 10, "size");
    check(total() == 37, "total");
    int count = bag.count + bag.size;
    check(count == 12, "local named like function");
    Bag *p = &bag;
    p->size = count;
    check(bag.size == 12, "arrow");
    enum color c = BLUE;
    int RED_count = c == BLUE ? GREEN : RED;
    check(c == 6 && RED_count == 5, "enum");
    struct point { int x, y; } pts[2] = {{1, 2}, {3, 4}};
    int x = pts[0].x + pts[1].y;
    check(x == 5, "anonymous member names");
    printf("%d %d %d %d %d\n", count_value, size_value, total(), count, x);
    return 0;
}
