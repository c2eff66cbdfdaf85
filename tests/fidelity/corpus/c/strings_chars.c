/* char arrays and string loops, identifiers inside string literals and comments, while loops with *p++. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        exit(1);
    }
}

static void caesar(char *text, int shift) {
    for (char *c = text; *c; c++) {
        if (*c >= 'a' && *c <= 'z')
            *c = (char)('a' + (*c - 'a' + shift) % 26);
    }
}

static void reverse(char *text) {
    size_t i = 0, j = strlen(text);
    while (j > i + 1) {
        char tmp = text[i];
        text[i++] = text[--j];
        text[j] = tmp;
    }
}

static int count_words(const char *text) {
    int words = 0, in_word = 0;
    while (*text) {
        if (*text == ' ') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
        text++;
    }
    return words;
}

int main(void) {
    char text[32] = "xyz abc";
    /* text also appears in this comment and in the literal "text" below */
    caesar(text, 3);
    check(strcmp(text, "abc def") == 0, "caesar");
    char word[16] = "text";
    reverse(word);
    check(strcmp(word, "txet") == 0, "reverse");
    check(count_words("  the quick  brown fox ") == 4, "words");
    char c = 'A';
    int code = c + 1;
    check(code == 66, "char promotion");
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s-%d", word, code);
    check(n == 7 && strcmp(buf, "txet-66") == 0, "snprintf");
    printf("%s %s %d %s\n", text, word, count_words("a b c"), buf);
    return 0;
}
