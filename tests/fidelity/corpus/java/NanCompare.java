// if/else with NaN: `!(x < y)` is not `x >= y` for doubles, dangling else, else-if chains, no braces.
public class NanCompare {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static String classify(double x, double y) {
        String r;
        if (x < y) {
            r = "lt";
        } else {
            r = "not-lt";
        }
        return r;
    }

    static int grade(int score) {
        if (score >= 90) return 4;
        else if (score >= 80) return 3;
        else if (score > 60) return 2;
        else return 0;
    }

    static int dangling(int a, int b) {
        int r = 0;
        if (a > 0)
            if (b > 0) r = 1;
            else r = 2;
        return r;
    }

    public static void main(String[] args) {
        check(classify(1, 2).equals("lt") && classify(Double.NaN, 2).equals("not-lt"), "nan1");
        check(classify(2, Double.NaN).equals("not-lt"), "nan2");
        double nan = Double.NaN;
        int hits = 0;
        if (nan != nan) hits++;
        if (!(nan == nan)) hits++;
        if (nan <= 0) hits += 10;
        else hits += 100;
        check(hits == 102, "nan hits " + hits);
        check(grade(95) == 4 && grade(80) == 3 && grade(61) == 2 && grade(60) == 0, "grade");
        check(dangling(1, 1) == 1 && dangling(1, -1) == 2 && dangling(-1, 1) == 0, "dangling");
        Object o = "s";
        String kind;
        if (!(o instanceof Integer)) {
            kind = "other";
        } else {
            kind = "int";
        }
        check(kind.equals("other"), "instanceof");
        System.out.println(classify(nan, 0) + " " + hits + " " + grade(85) + " " + kind);
    }
}
