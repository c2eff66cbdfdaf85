import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;

// while loops with compound conditions, while(true) with break, iterators, continue in while.
public class WhileLoops {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static int binarySearch(int[] xs, int key) {
        int lo = 0;
        int hi = xs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (xs[mid] < key) {
                lo = mid + 1;
            } else if (xs[mid] > key) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    static int drain(Deque<Integer> stack) {
        int sum = 0;
        while (!stack.isEmpty()) {
            int top = stack.pop();
            if (top < 0) continue;
            sum += top;
        }
        return sum;
    }

    static int firstSquareAbove(int limit) {
        int n = 0;
        while (true) {
            n++;
            if (n * n > limit) break;
        }
        return n;
    }

    public static void main(String[] args) {
        int[] xs = {1, 3, 5, 7, 9, 11};
        check(binarySearch(xs, 7) == 3 && binarySearch(xs, 4) == -3, "bsearch");
        Deque<Integer> stack = new ArrayDeque<>(List.of(4, -2, 6));
        check(drain(stack) == 10 && stack.isEmpty(), "drain");
        check(firstSquareAbove(50) == 8, "square");
        Iterator<String> it = List.of("a", "bb", "ccc").iterator();
        int len = 0;
        while (it.hasNext()) len += it.next().length();
        check(len == 6, "iterator");
        int x = 100;
        int steps = 0;
        while (x > 1 && steps < 50) {
            x = (x & 1) == 0 ? x >> 1 : x * 3 + 1;
            steps++;
        }
        check(steps == 25, "collatz " + steps);
        System.out.println(binarySearch(xs, 11) + " " + firstSquareAbove(99) + " " + len + " " + steps);
    }
}
