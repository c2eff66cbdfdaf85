// String building and char arithmetic; identifiers that also appear inside strings and comments.
public class StringsChars {
    static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAIL " + what);
            System.exit(1);
        }
    }

    static String caesar(String text, int shift) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'a' && c <= 'z') {
                c = (char) ('a' + (c - 'a' + shift) % 26);
            }
            out.append(c);
        }
        return out.toString();
    }

    static String reverse(String text) {
        String result = "";
        int i = text.length() - 1;
        while (i >= 0) {
            result += text.charAt(i);
            i--;
        }
        return result;
    }

    public static void main(String[] args) {
        String text = "text";
        // text is also a word inside this comment and inside the string literal above
        check(caesar("xyz abc", 3).equals("abc def"), "caesar");
        check(reverse(text).equals("txet"), "reverse");
        char c = 'A';
        int code = c + 1;
        String s = "" + c + 1;
        String t = c + 1 + "";
        check(code == 66 && s.equals("A1") && t.equals("66"), "char concat " + s + t);
        String shift = "shift=" + 2 + 3;
        String shift2 = 2 + 3 + "=shift";
        check(shift.equals("shift=23") && shift2.equals("5=shift"), "concat order");
        String multi = """
            text block with text
            """;
        check(multi.contains("text block"), "text block");
        int vowels = 0;
        for (char ch : "identifier".toCharArray()) {
            switch (ch) {
                case 'a', 'e', 'i', 'o', 'u' -> vowels++;
                default -> { }
            }
        }
        check(vowels == 5, "vowels " + vowels);
        System.out.println(caesar("hello", 1) + " " + reverse("abc") + " " + s + t + " " + vowels);
    }
}
