import java.util.HashMap;
import java.util.Map;

// Overloaded and recursive methods, generics, a method named like a local variable and a field.
public class Overloads {
    static int value = 1;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int value() {
        return value * 3;
    }

    static int area(int side) {
        return side * side;
    }

    static int area(int w, int h) {
        return w * h;
    }

    static double area(double r) {
        return 3.0 * r * r;
    }

    static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    static <T extends Comparable<T>> T maxOf(T a, T b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    static boolean isEven(int n) {
        return n == 0 || isOdd(n - 1);
    }

    static boolean isOdd(int n) {
        return n != 0 && isEven(n - 1);
    }

    public static void main(String[] args) {
        int value = value() + 1;
        check(value == 4, "value");
        check(area(3) == 9 && area(2, 5) == 10 && area(1.0) == 3.0, "overloads");
        check(fib(15) == 610, "fib");
        check(maxOf("pear", "apple").equals("pear") && maxOf(3, 8) == 8, "generic");
        check(isEven(10) && isOdd(7) && !isOdd(4), "mutual");
        Map<String, Integer> counts = new HashMap<>();
        for (String w : "a b a c b a".split(" ")) {
            counts.merge(w, 1, Integer::sum);
        }
        check(counts.get("a") == 3 && counts.get("c") == 1, "map");
        System.out.println(value + " " + fib(10) + " " + maxOf("x", "y") + " " + counts.get("b"));
    }
}
