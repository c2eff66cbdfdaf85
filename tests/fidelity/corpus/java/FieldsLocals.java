// Fields vs locals with the same name (this.count vs count), methods named like locals, shadowing parameters.
public class FieldsLocals {
    private int count = 5;
    private int size = 100;
    private static int total = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    int size() {
        return size + 1;
    }

    int count(int count) {
        int size = size() * 2;
        this.count += count;
        return this.count + size + count;
    }

    void setCount(int count) {
        this.count = count;
    }

    int bump() {
        int count = this.count;
        count++;
        total += count;
        return count;
    }

    static int total() {
        int total = 7;
        return total + FieldsLocals.total;
    }

    class Inner {
        int count = 1000;

        int read() {
            int count = 3;
            return count + this.count + FieldsLocals.this.count;
        }
    }

    public static void main(String[] args) {
        FieldsLocals f = new FieldsLocals();
        int count = f.count(10);
        check(count == 15 + 202 + 10, "count " + count);
        f.setCount(40);
        check(f.bump() == 41, "bump");
        check(f.count == 40, "field untouched");
        check(total() == 48, "total " + total());
        FieldsLocals.Inner in = f.new Inner();
        check(in.read() == 1043, "inner " + in.read());
        int size = f.size();
        check(size == 101, "size");
        System.out.println(count + " " + size + " " + total + " " + in.read());
    }
}
