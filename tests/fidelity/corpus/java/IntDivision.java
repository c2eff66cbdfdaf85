// Integer division and remainder with negatives, overflow, shifts, long vs int promotion.
public class IntDivision {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int mean(int[] xs) {
        int sum = 0;
        for (int x : xs) {
            sum += x;
        }
        return sum / xs.length;
    }

    public static void main(String[] args) {
        check(7 / 2 == 3 && -7 / 2 == -3 && 7 % -3 == 1 && -7 % 3 == -1, "div/mod");
        check(mean(new int[] {1, 2, 4}) == 2, "mean");
        int big = Integer.MAX_VALUE;
        big++;
        check(big == Integer.MIN_VALUE, "overflow");
        long wide = Integer.MAX_VALUE + 1;
        long wider = Integer.MAX_VALUE + 1L;
        check(wide < 0 && wider > 0, "promotion");
        check((-16 >> 2) == -4 && (-16 >>> 28) == 15 && (1 << 33) == 2, "shifts");
        double ratio = 1 / 2;
        double real = 1 / 2.0;
        check(ratio == 0.0 && real == 0.5, "int vs double");
        int digits = 0;
        for (int n = 12345; n > 0; n /= 10) {
            digits++;
        }
        check(digits == 5, "digits");
        int gcdA = 84;
        int gcdB = 36;
        while (gcdB != 0) {
            int tmp = gcdA % gcdB;
            gcdA = gcdB;
            gcdB = tmp;
        }
        check(gcdA == 12, "gcd");
        System.out.println(mean(new int[] {5, 6}) + " " + big + " " + wide + " " + digits + " " + gcdA);
    }
}
