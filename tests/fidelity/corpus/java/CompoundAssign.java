// Compound assignments with side effects on the target (a[i++] += 2), implicit narrowing casts
// (byte/short/char += int), String += and integer division.
public class CompoundAssign {
    static int idx = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int next() {
        return idx++;
    }

    public static void main(String[] args) {
        int[] a = {1, 2, 3, 4, 5};
        int i = 0;
        a[i++] += 2;
        a[i++] *= 3;
        check(i == 2 && a[0] == 3 && a[1] == 6, "a[i++] op=");
        a[next()] -= 10;
        a[next()] <<= 2;
        check(idx == 2 && a[0] == -7 && a[1] == 24, "a[next()] op=");
        byte bt = 120;
        bt += 10;
        check(bt == -126, "byte wrap " + bt);
        short sh = 1;
        sh *= 40000;
        check(sh == -25536, "short " + sh);
        char ch = 'a';
        ch += 2;
        check(ch == 'c', "char +=");
        int q = 17;
        q /= 5;
        check(q == 3, "int div");
        q %= 2;
        int neg = -17;
        neg /= 5;
        check(q == 1 && neg == -3, "neg div " + neg);
        double d = 7;
        d /= 2;
        int x = 10;
        x += 3.7;
        check(d == 3.5 && x == 13, "double " + x);
        String s = "";
        for (int k = 0; k < 4; k++) {
            s += k;
            s += ',';
        }
        check(s.equals("0,1,2,3,"), "string += " + s);
        String t = null;
        t += "x";
        check(t.equals("nullx"), "null +=");
        int[][] grid = new int[2][2];
        int r = 0;
        grid[r++][r] += 5;
        check(grid[0][1] == 5 && r == 1, "2d");
        int bits = 0b1010;
        bits ^= 0b0110;
        bits |= 1;
        bits &= ~2;
        bits >>>= 1;
        check(bits == 6, "bits " + bits);
        System.out.println(a[0] + " " + a[1] + " " + bt + " " + sh + " " + ch + " " + s + " " + bits);
    }
}
