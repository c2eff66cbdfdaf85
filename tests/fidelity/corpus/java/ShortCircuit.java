// Short-circuit conditions with side effects; operand evaluation order is left-to-right in Java,
// so swapping `next() < next()` would change behaviour.
public class ShortCircuit {
    static int counter = 0;
    static StringBuilder log = new StringBuilder();

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int next() {
        counter++;
        log.append(counter);
        return counter;
    }

    static boolean t(String tag) {
        log.append(tag);
        return true;
    }

    static boolean f(String tag) {
        log.append(tag);
        return false;
    }

    public static void main(String[] args) {
        boolean lt = next() < next();
        check(lt && log.toString().equals("12"), "order " + log);
        log.setLength(0);
        if (f("a") && t("b")) {
            check(false, "and");
        }
        if (t("c") || f("d")) {
            log.append("!");
        }
        check(log.toString().equals("ac!"), "short circuit " + log);
        int[] arr = null;
        int n = 0;
        if (arr != null && arr.length > 0) {
            n = 1;
        }
        check(n == 0, "null guard");
        int i = 0;
        while (i < 10 && next() != 7) {
            i++;
        }
        check(counter == 7 && i == 4, "while cond " + counter + " " + i);
        int k = 3;
        boolean r = k > 2 || next() > 0;
        check(r && counter == 7, "no eval");
        boolean nonShort = f("x") & t("y");
        check(!nonShort && log.toString().endsWith("xy"), "non short");
        System.out.println(log + " " + counter + " " + i);
    }
}
