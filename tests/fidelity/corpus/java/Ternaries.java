// Nested ternaries, ternaries as statements' values, in arguments, returns and with side effects.
public class Ternaries {
    static int calls = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int tick(int v) {
        calls++;
        return v;
    }

    static String sign(int x) {
        return x > 0 ? "pos" : x < 0 ? "neg" : "zero";
    }

    static int clamp(int x, int lo, int hi) {
        int y;
        y = x < lo ? lo : x > hi ? hi : x;
        return y;
    }

    public static void main(String[] args) {
        check(sign(3).equals("pos") && sign(-2).equals("neg") && sign(0).equals("zero"), "sign");
        check(clamp(5, 0, 3) == 3 && clamp(-1, 0, 3) == 0 && clamp(2, 0, 3) == 2, "clamp");
        int a = 4;
        int b = a > 3 ? tick(1) : tick(2);
        check(b == 1 && calls == 1, "lazy branches");
        String s = "n=" + (a % 2 == 0 ? "even" : "odd");
        check(s.equals("n=even"), "concat");
        int m = 0;
        m += a > 2 ? 10 : 20;
        check(m == 10, "compound ternary");
        long big = a > 0 ? Integer.MAX_VALUE + 1L : 0;
        check(big == 2147483648L, "widening");
        Object o = a > 0 ? Integer.valueOf(1) : "str";
        check(o instanceof Integer, "boxing");
        char c = a > 100 ? 'x' : 'y';
        check(c == 'y', "char");
        System.out.println(sign(-5) + " " + clamp(9, 1, 4) + " " + b + " " + s + " " + m + " " + big + " " + c);
    }
}
