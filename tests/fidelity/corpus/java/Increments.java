// Pre/post increments used as values, in indices and in conditions.
public class Increments {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    public static void main(String[] args) {
        int i = 5;
        int a = i++ + ++i;
        check(a == 12 && i == 7, "mix " + a);
        int j = 0;
        int[] arr = new int[4];
        arr[j++] = 1;
        arr[++j] = 2;
        check(arr[0] == 1 && arr[2] == 2 && j == 2, "index");
        int k = 10;
        k--;
        --k;
        k++;
        check(k == 9, "statement incs");
        int n = 3;
        int loops = 0;
        while (n-- > 0) {
            loops++;
        }
        check(loops == 3 && n == -1, "post-dec cond");
        int m = 0;
        for (int x = 0; x < 10; x += 3) {
            m++;
        }
        check(m == 4, "step 3");
        long big = Long.MAX_VALUE;
        big++;
        char c = 'y';
        c++;
        c++;
        check(big == Long.MIN_VALUE && c == '{', "wrap");
        double d = 0.5;
        d++;
        check(d == 1.5, "double inc");
        Integer boxed = 1;
        boxed++;
        check(boxed == 2, "boxed");
        System.out.println(a + " " + j + " " + k + " " + n + " " + m + " " + c + " " + d);
    }
}
