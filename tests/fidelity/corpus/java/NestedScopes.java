// Sibling scopes reusing names, enhanced for, try/catch/finally, try-with-resources, labelled blocks.
public class NestedScopes {
    static StringBuilder trace = new StringBuilder();

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static class Res implements AutoCloseable {
        final String name;

        Res(String name) {
            this.name = name;
        }

        @Override
        public void close() {
            trace.append("close-").append(name).append(';');
        }
    }

    static int siblings() {
        int result = 0;
        {
            int tmp = 3;
            result += tmp;
        }
        {
            int tmp = 4;
            result *= tmp;
        }
        for (int i = 0; i < 2; i++) {
            result += i;
        }
        for (int i = 5; i < 7; i++) {
            result += i;
        }
        return result;
    }

    static int parse(String s) {
        int value;
        try {
            value = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            value = -1;
        } finally {
            trace.append("p;");
        }
        return value;
    }

    static int finallyLoop() {
        int n = 0;
        for (int i = 0; i < 5; i++) {
            try {
                if (i % 2 == 0) {
                    continue;
                }
                n += 10;
            } finally {
                n += 1;
            }
        }
        return n;
    }

    public static void main(String[] args) {
        check(siblings() == 24, "siblings " + siblings());
        check(parse("42") == 42 && parse("x") == -1, "parse");
        try (Res r = new Res("a"); Res s = new Res("b")) {
            trace.append(r.name).append(s.name).append(';');
        }
        check(trace.toString().equals("p;p;ab;close-b;close-a;"), "resources " + trace);
        check(finallyLoop() == 25, "finally " + finallyLoop());
        int[] data = {3, 1, 2};
        int best = Integer.MIN_VALUE;
        for (int d : data) {
            int sq = d * d;
            if (sq > best) best = sq;
        }
        check(best == 9, "foreach");
        found:
        {
            for (int d : data) {
                if (d == 1) break found;
            }
            check(false, "label block");
        }
        System.out.println(siblings() + " " + trace + " " + best);
    }
}
