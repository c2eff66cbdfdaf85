import java.util.ArrayList;
import java.util.List;

// Inheritance, constructors whose parameters shadow fields (this.w = w), super calls, interfaces, statics.
public class Shapes {
    static int created;

    static {
        created = 0;
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    interface Shape {
        double area();

        default String describe() {
            return getClass().getSimpleName() + ":" + Math.round(area());
        }
    }

    abstract static class Base implements Shape {
        protected final String name;

        Base(String name) {
            this.name = name;
            created++;
        }
    }

    static class Rect extends Base {
        private final double w;
        private final double h;

        Rect(double w, double h) {
            super("rect");
            this.w = w;
            this.h = h;
        }

        @Override
        public double area() {
            return w * h;
        }
    }

    static class Square extends Rect {
        Square(double side) {
            super(side, side);
        }

        @Override
        public String describe() {
            return "sq/" + super.describe();
        }
    }

    enum Color {
        RED, GREEN, BLUE;

        Color next() {
            return values()[(ordinal() + 1) % values().length];
        }
    }

    public static void main(String[] args) {
        List<Shape> shapes = new ArrayList<>();
        shapes.add(new Rect(2, 3));
        shapes.add(new Square(4));
        double total = 0;
        for (Shape s : shapes) {
            total += s.area();
        }
        check(total == 22.0 && created == 2, "areas");
        check(shapes.get(1).describe().equals("sq/Square:16"), shapes.get(1).describe());
        Color c = Color.BLUE;
        int score;
        switch (c.next()) {
            case RED:
                score = 1;
                break;
            case GREEN:
                score = 2;
                break;
            default:
                score = 3;
        }
        check(score == 1, "enum switch");
        System.out.println(total + " " + shapes.get(0).describe() + " " + c.next() + " " + score);
    }
}
