import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntBinaryOperator;
import java.util.function.Supplier;

// Lambdas and anonymous classes capturing effectively-final locals; lambda parameters shadowing nothing.
public class Lambdas {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    interface Counter {
        int next();
    }

    static Counter makeCounter(int start) {
        int[] box = {start};
        return () -> box[0]++;
    }

    static int apply(IntBinaryOperator op, int a, int b) {
        return op.applyAsInt(a, b);
    }

    public static void main(String[] args) {
        int offset = 10;
        Function<Integer, Integer> addOffset = x -> x + offset;
        check(addOffset.apply(5) == 15, "capture");
        Counter c = makeCounter(3);
        c.next();
        check(c.next() == 4, "counter");
        check(apply((a, b) -> a * b, 6, 7) == 42, "binop");
        check(apply(Math::max, 6, 7) == 7, "method ref");
        List<Supplier<Integer>> suppliers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            final int j = i * i;
            suppliers.add(() -> j);
        }
        int sum = 0;
        for (Supplier<Integer> s : suppliers) {
            sum += s.get();
        }
        check(sum == 5, "loop capture");
        Counter anon = new Counter() {
            int value = 100;

            @Override
            public int next() {
                return value++ + offset;
            }
        };
        anon.next();
        check(anon.next() == 111, "anonymous");
        Function<Integer, Function<Integer, Integer>> curried = a -> b -> a - b;
        check(curried.apply(10).apply(3) == 7, "curried");
        Runnable r = () -> {
            int local = offset * 2;
            check(local == 20, "block lambda");
        };
        r.run();
        System.out.println(addOffset.apply(1) + " " + sum + " " + curried.apply(1).apply(2));
    }
}
