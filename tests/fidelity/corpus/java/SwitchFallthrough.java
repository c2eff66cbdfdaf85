// switch fall-through, default in the middle, string switches, break/continue inside switch inside loops.
public class SwitchFallthrough {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int fall(int k) {
        int r = 0;
        switch (k) {
            case 1:
                r += 1;
            case 2:
                r += 10;
                break;
            default:
                r += 1000;
            case 3:
                r += 100;
                break;
            case 4: {
                int local = k * 2;
                r = local;
            }
        }
        return r;
    }

    static String word(String s) {
        String out;
        switch (s) {
            case "a":
            case "b":
                out = "ab";
                break;
            case "c":
                out = "c";
                break;
            default:
                out = "?";
        }
        return out;
    }

    static int loopSwitch(int n) {
        int acc = 0;
        for (int i = 0; i < n; i++) {
            switch (i % 4) {
                case 0:
                    continue;
                case 1:
                    acc += 1;
                    break;
                case 2:
                    acc += 2;
                default:
                    acc += 3;
            }
            acc *= 2;
        }
        return acc;
    }

    public static void main(String[] args) {
        check(fall(1) == 11, "fall1");
        check(fall(2) == 10, "fall2");
        check(fall(3) == 100, "fall3");
        check(fall(4) == 8, "fall4");
        check(fall(9) == 1100, "fall9");
        check(word("b").equals("ab") && word("c").equals("c") && word("z").equals("?"), "word");
        int l = loopSwitch(9);
        check(l == 306, "loopSwitch " + l);
        System.out.println(fall(1) + fall(9) + " " + word("a") + " " + l);
    }
}
