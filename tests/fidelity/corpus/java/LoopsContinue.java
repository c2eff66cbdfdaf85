// continue inside for loops (the update must still run), labelled and nested break/continue, do-while.
public class LoopsContinue {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int sumOdd(int n) {
        int total = 0;
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                continue;
            }
            total += i;
        }
        return total;
    }

    static int nested(int n) {
        int hits = 0;
        outer:
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j += 2) {
                if (j > i) {
                    continue outer;
                }
                if (i + j > 10) {
                    break outer;
                }
                hits += i * j + 1;
            }
        }
        return hits;
    }

    static int multiUpdate() {
        int count = 0;
        for (int i = 0, j = 10; i < j; i++, j--) {
            if (i == 2) continue;
            count += j - i;
        }
        return count;
    }

    static int doWhile(int start) {
        int steps = 0;
        int x = start;
        do {
            x = x % 2 == 0 ? x / 2 : 3 * x + 1;
            steps++;
            if (steps > 1000) break;
        } while (x != 1);
        return steps;
    }

    static int whileContinue(int n) {
        int k = 0;
        int acc = 0;
        while (k < n) {
            k++;
            if (k % 3 == 0) continue;
            acc += k;
        }
        return acc;
    }

    static int emptyParts(int n) {
        int i = 0;
        int seen = 0;
        for (;;) {
            if (i >= n) break;
            seen += i;
            i++;
        }
        for (; i > 0; ) {
            i -= 3;
        }
        return seen * 100 + i;
    }

    public static void main(String[] args) {
        check(sumOdd(10) == 25, "sumOdd");
        check(nested(6) == 76, "nested " + nested(6));
        check(multiUpdate() == 24, "multiUpdate " + multiUpdate());
        check(doWhile(27) == 111, "doWhile " + doWhile(27));
        check(whileContinue(10) == 37, "whileContinue " + whileContinue(10));
        check(emptyParts(7) == 2100 + (7 - 9), "emptyParts " + emptyParts(7));
        System.out.println(sumOdd(10) + " " + nested(6) + " " + multiUpdate() + " " + doWhile(27));
    }
}
