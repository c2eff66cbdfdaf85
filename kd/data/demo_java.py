"""Java task families for the synthetic clone-detection demo.

Each family is one functionality (BigCloneBench's notion of a clone class) with several genuinely different
implementations: iterative vs recursive, loops vs streams, hand-written vs library calls, different
algorithms. Two functions are clones exactly when they come from the same family, so a model must learn what
the code computes; names, modifiers, comments, logging and layout are drawn at random and carry no signal.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from kd.data.demo_layout import fill, pick_names, random_layout, render, split_lines, sprinkle, template_roles

# Imports a class wrapping the generated methods needs to compile (the demo functions, like BigCloneBench's,
# are bare methods).
JAVA_IMPORTS: tuple[str, ...] = (
    "java.util.*",
    "java.util.stream.*",
    "java.io.*",
    "java.nio.file.*",
    "java.math.BigInteger",
    "java.nio.charset.StandardCharsets",
)


@dataclass(frozen=True)
class Family:
    """A functionality: its method-name pool, a one-line Javadoc, and its distinct implementations."""

    name: str
    doc: str
    methods: tuple[str, ...]
    impls: tuple[str, ...]


# fmt: off
FAMILIES: tuple[Family, ...] = (
    Family("factorial", "Returns n! for a non-negative n.", ("factorial", "fact", "computeFactorial", "calcFactorial", "fac"), (
        r"$MOD $T $M(int $n) { $T $res = 1; for (int $i = 2; $i <= $n; $i++) { $res *= $i; } return $res; }",
        r"$MOD $T $M(int $n) { if ($n <= 1) { return 1; } return $n * $M($n - 1); }",
        r"$MOD long $M(int $n) { return LongStream.rangeClosed(1, $n).reduce(1L, ($x, $y) -> $x * $y); }",
        r"$MOD $T $M(int $n) { $T $res = 1; int $i = $n; while ($i > 1) { $res = $res * $i; $i--; } return $res; }",
        r"$MOD BigInteger $M(int $n) { BigInteger $res = BigInteger.ONE; for (int $i = 1; $i <= $n; ++$i) { $res = $res.multiply(BigInteger.valueOf($i)); } return $res; }",
    )),
    Family("fibonacci", "Computes the n-th Fibonacci number.", ("fibonacci", "fib", "fibo", "nthFibonacci", "getFib"), (
        r"$MOD $T $M(int $n) { if ($n < 2) { return $n; } $T $x = 0, $y = 1; for (int $i = 2; $i <= $n; $i++) { $T $tmp = $x + $y; $x = $y; $y = $tmp; } return $y; }",
        r"$MOD int $M(int $n) { if ($n <= 1) return $n; return $M($n - 1) + $M($n - 2); }",
        r"$MOD long $M(int $n) { if ($n < 2) { return $n; } long[] $arr = new long[$n + 1]; $arr[1] = 1; for (int $i = 2; $i <= $n; $i++) { $arr[$i] = $arr[$i - 1] + $arr[$i - 2]; } return $arr[$n]; }",
        r"$MOD $T $M(int $n) { $T $x = 0; $T $y = 1; int $i = 0; while ($i < $n) { $T $tmp = $y; $y = $x + $y; $x = $tmp; $i++; } return $x; }",
    )),
    Family("gcd", "Greatest common divisor of two integers.", ("gcd", "greatestCommonDivisor", "computeGcd", "hcf", "euclid"), (
        r"$MOD int $M(int $n, int $m) { if ($m == 0) { return $n; } return $M($m, $n % $m); }",
        r"$MOD int $M(int $n, int $m) { while ($m != 0) { int $tmp = $n % $m; $n = $m; $m = $tmp; } return $n; }",
        r"$MOD int $M(int $n, int $m) { $n = Math.abs($n); $m = Math.abs($m); if ($n == 0) return $m; if ($m == 0) return $n; while ($n != $m) { if ($n > $m) { $n -= $m; } else { $m -= $n; } } return $n; }",
        r"$MOD int $M(int $n, int $m) { return BigInteger.valueOf($n).gcd(BigInteger.valueOf($m)).intValue(); }",
        r"$MOD long $M(long $n, long $m) { return $m == 0 ? $n : $M($m, $n % $m); }",
    )),
    Family("is_prime", "Tells whether a number is prime.", ("isPrime", "prime", "checkPrime", "testPrime", "isPrimeNumber"), (
        r"$MOD boolean $M(int $n) { if ($n < 2) { return false; } for (int $i = 2; $i * $i <= $n; $i++) { if ($n % $i == 0) { return false; } } return true; }",
        r"$MOD boolean $M(int $n) { if ($n <= 1) return false; if ($n <= 3) return true; if ($n % 2 == 0 || $n % 3 == 0) return false; int $i = 5; while ($i * $i <= $n) { if ($n % $i == 0 || $n % ($i + 2) == 0) return false; $i += 6; } return true; }",
        r"$MOD boolean $M(int $n) { return $n > 1 && IntStream.rangeClosed(2, (int) Math.sqrt($n)).noneMatch($x -> $n % $x == 0); }",
        r"$MOD boolean $M(long $n) { return BigInteger.valueOf($n).isProbablePrime(30); }",
        r"$MOD boolean $M(int $n) { int $res = 0; for (int $i = 1; $i <= $n; $i++) { if ($n % $i == 0) { $res++; } } return $res == 2; }",
    )),
    Family("reverse_string", "Reverses the characters of a string.", ("reverse", "reverseString", "reversed", "invert", "flip"), (
        r"$MOD String $M(String $str) { return new StringBuilder($str).reverse().toString(); }",
        r"$MOD String $M(String $str) { char[] $buf = $str.toCharArray(); int $lo = 0, $hi = $buf.length - 1; while ($lo < $hi) { char $tmp = $buf[$lo]; $buf[$lo] = $buf[$hi]; $buf[$hi] = $tmp; $lo++; $hi--; } return new String($buf); }",
        r"""$MOD String $M(String $str) { String $res = ""; for (int $i = $str.length() - 1; $i >= 0; $i--) { $res += $str.charAt($i); } return $res; }""",
        r"$MOD String $M(String $str) { if ($str == null || $str.length() <= 1) { return $str; } return $M($str.substring(1)) + $str.charAt(0); }",
        r"$MOD String $M(String $str) { StringBuilder $sb = new StringBuilder(); for (int $i = $str.length(); $i > 0; --$i) { $sb.append($str.charAt($i - 1)); } return $sb.toString(); }",
    )),
    Family("palindrome", "Checks whether the input reads the same backwards.", ("isPalindrome", "palindrome", "checkPalindrome", "isMirror", "readsSameBackwards"), (
        r"$MOD boolean $M(String $str) { int $lo = 0; int $hi = $str.length() - 1; while ($lo < $hi) { if ($str.charAt($lo) != $str.charAt($hi)) { return false; } $lo++; $hi--; } return true; }",
        r"$MOD boolean $M(String $str) { return new StringBuilder($str).reverse().toString().equals($str); }",
        r"$MOD boolean $M(String $str) { if ($str.length() < 2) { return true; } if ($str.charAt(0) != $str.charAt($str.length() - 1)) { return false; } return $M($str.substring(1, $str.length() - 1)); }",
        r"""$MOD boolean $M(String $str) { String $tmp = $str.toLowerCase().replaceAll("[^a-z0-9]", ""); int $n = $tmp.length(); for (int $i = 0; $i < $n / 2; $i++) { if ($tmp.charAt($i) != $tmp.charAt($n - 1 - $i)) return false; } return true; }""",
        r"$MOD boolean $M(int $n) { int $res = 0; int $tmp = $n; while ($tmp > 0) { $res = $res * 10 + $tmp % 10; $tmp /= 10; } return $res == $n; }",
    )),
    Family("sum_array", "Sums the elements of an array.", ("sum", "sumArray", "total", "arraySum", "addAll"), (
        r"$MOD int $M(int[] $arr) { int $res = 0; for (int $i = 0; $i < $arr.length; $i++) { $res += $arr[$i]; } return $res; }",
        r"$MOD long $M(int[] $arr) { long $res = 0; for (int $elem : $arr) { $res += $elem; } return $res; }",
        r"$MOD int $M(int[] $arr) { return Arrays.stream($arr).sum(); }",
        r"$MOD int $M(int[] $arr) { int $res = 0, $i = 0; while ($i < $arr.length) { $res = $res + $arr[$i++]; } return $res; }",
        r"$MOD double $M(List<Double> $list) { double $res = 0.0; for (Double $elem : $list) { if ($elem != null) { $res += $elem; } } return $res; }",
        r"$MOD int $M(int[] $arr, int $n) { if ($n <= 0) { return 0; } return $arr[$n - 1] + $M($arr, $n - 1); }",
    )),
    Family("max_array", "Finds the largest element.", ("max", "findMax", "maximum", "largest", "getMax"), (
        r"$MOD int $M(int[] $arr) { int $res = $arr[0]; for (int $i = 1; $i < $arr.length; $i++) { if ($arr[$i] > $res) { $res = $arr[$i]; } } return $res; }",
        r"$MOD int $M(int[] $arr) { int $res = Integer.MIN_VALUE; for (int $elem : $arr) { $res = Math.max($res, $elem); } return $res; }",
        r"$MOD int $M(int[] $arr) { return Arrays.stream($arr).max().getAsInt(); }",
        r"$MOD int $M(int[] $arr) { int[] $tmp = Arrays.copyOf($arr, $arr.length); Arrays.sort($tmp); return $tmp[$tmp.length - 1]; }",
        r"$MOD Integer $M(List<Integer> $list) { if ($list == null || $list.isEmpty()) { return null; } return Collections.max($list); }",
    )),
    Family("sort_array", "Sorts an int array in ascending order.", ("sort", "bubbleSort", "sortArray", "order", "sortAscending"), (
        r"$MOD void $M(int[] $arr) { int $n = $arr.length; for (int $i = 0; $i < $n - 1; $i++) { for (int $j = 0; $j < $n - $i - 1; $j++) { if ($arr[$j] > $arr[$j + 1]) { int $tmp = $arr[$j]; $arr[$j] = $arr[$j + 1]; $arr[$j + 1] = $tmp; } } } }",
        r"$MOD void $M(int[] $arr) { boolean $flag = true; while ($flag) { $flag = false; for (int $i = 1; $i < $arr.length; $i++) { if ($arr[$i - 1] > $arr[$i]) { int $tmp = $arr[$i]; $arr[$i] = $arr[$i - 1]; $arr[$i - 1] = $tmp; $flag = true; } } } }",
        r"$MOD void $M(int[] $arr) { for (int $i = 1; $i < $arr.length; $i++) { int $tmp = $arr[$i]; int $j = $i - 1; while ($j >= 0 && $arr[$j] > $tmp) { $arr[$j + 1] = $arr[$j]; $j--; } $arr[$j + 1] = $tmp; } }",
        r"$MOD void $M(int[] $arr) { for (int $i = 0; $i < $arr.length - 1; $i++) { int $mid = $i; for (int $j = $i + 1; $j < $arr.length; $j++) { if ($arr[$j] < $arr[$mid]) $mid = $j; } int $tmp = $arr[$mid]; $arr[$mid] = $arr[$i]; $arr[$i] = $tmp; } }",
        r"$MOD int[] $M(int[] $arr) { int[] $tmp = $arr.clone(); Arrays.sort($tmp); return $tmp; }",
    )),
    Family("binary_search", "Binary search in a sorted array; -1 when absent.", ("binarySearch", "search", "bsearch", "find", "indexOfSorted"), (
        r"$MOD int $M(int[] $arr, int $n) { int $lo = 0, $hi = $arr.length - 1; while ($lo <= $hi) { int $mid = ($lo + $hi) >>> 1; if ($arr[$mid] == $n) { return $mid; } else if ($arr[$mid] < $n) { $lo = $mid + 1; } else { $hi = $mid - 1; } } return -1; }",
        r"$MOD int $M(int[] $arr, int $n, int $lo, int $hi) { if ($lo > $hi) { return -1; } int $mid = $lo + ($hi - $lo) / 2; if ($arr[$mid] == $n) return $mid; if ($arr[$mid] > $n) return $M($arr, $n, $lo, $mid - 1); return $M($arr, $n, $mid + 1, $hi); }",
        r"$MOD int $M(int[] $arr, int $n) { int $res = Arrays.binarySearch($arr, $n); return $res >= 0 ? $res : -1; }",
        r"$MOD int $M(int[] $arr, int $n) { int $lo = 0; int $hi = $arr.length; while ($lo < $hi) { int $mid = $lo + ($hi - $lo) / 2; if ($arr[$mid] < $n) { $lo = $mid + 1; } else { $hi = $mid; } } return ($lo < $arr.length && $arr[$lo] == $n) ? $lo : -1; }",
        r"$MOD int $M(List<Integer> $list, int $n) { int $res = Collections.binarySearch($list, $n); if ($res < 0) { return -1; } return $res; }",
    )),
    Family("count_vowels", "Counts the vowels in a string.", ("countVowels", "vowels", "numVowels", "vowelCount", "countAeiou"), (
        r"""$MOD int $M(String $str) { int $res = 0; for (int $i = 0; $i < $str.length(); $i++) { if ("aeiouAEIOU".indexOf($str.charAt($i)) >= 0) { $res++; } } return $res; }""",
        r"$MOD int $M(String $str) { int $res = 0; for (char $ch : $str.toLowerCase().toCharArray()) { switch ($ch) { case 'a': case 'e': case 'i': case 'o': case 'u': $res++; break; default: break; } } return $res; }",
        r"""$MOD int $M(String $str) { return $str.length() - $str.replaceAll("[aeiouAEIOU]", "").length(); }""",
        r"""$MOD long $M(String $str) { return $str.toLowerCase().chars().filter($x -> "aeiou".indexOf($x) != -1).count(); }""",
        r"$MOD int $M(String $str) { Set<Character> $set = new HashSet<>(Arrays.asList('a', 'e', 'i', 'o', 'u')); int $res = 0; for (char $ch : $str.toCharArray()) { if ($set.contains(Character.toLowerCase($ch))) { $res++; } } return $res; }",
    )),
    Family("file_copy", "Copies a file.", ("copyFile", "copy", "fileCopy", "duplicate", "copyTo"), (
        r"$MOD void $M(String $src, String $dst) throws IOException { InputStream $in = new FileInputStream($src); OutputStream $out = new FileOutputStream($dst); byte[] $buf = new byte[$SZ]; int $len; while (($len = $in.read($buf)) > 0) { $out.write($buf, 0, $len); } $in.close(); $out.close(); }",
        r"$MOD void $M(File $src, File $dst) throws IOException { Files.copy($src.toPath(), $dst.toPath(), StandardCopyOption.REPLACE_EXISTING); }",
        r"$MOD void $M(String $src, String $dst) throws IOException { try (InputStream $in = new BufferedInputStream(new FileInputStream($src)); OutputStream $out = new BufferedOutputStream(new FileOutputStream($dst))) { int $len; while (($len = $in.read()) != -1) { $out.write($len); } } }",
        r"$MOD long $M(Path $src, Path $dst) throws IOException { try (InputStream $in = Files.newInputStream($src); OutputStream $out = Files.newOutputStream($dst)) { return $in.transferTo($out); } }",
        r"$MOD void $M(String $src, String $dst) throws IOException { FileInputStream $in = new FileInputStream($src); FileOutputStream $out = new FileOutputStream($dst); try { $in.getChannel().transferTo(0, $in.getChannel().size(), $out.getChannel()); } finally { $in.close(); $out.close(); } }",
    )),
    Family("read_lines", "Reads all lines of a text file.", ("readLines", "readFile", "loadLines", "linesOf", "readAll"), (
        r"$MOD List<String> $M(String $path) throws IOException { List<String> $lines = new ArrayList<>(); BufferedReader $reader = new BufferedReader(new FileReader($path)); String $line; while (($line = $reader.readLine()) != null) { $lines.add($line); } $reader.close(); return $lines; }",
        r"$MOD List<String> $M(Path $path) throws IOException { return Files.readAllLines($path, StandardCharsets.UTF_8); }",
        r"$MOD List<String> $M(File $path) throws FileNotFoundException { List<String> $lines = new ArrayList<>(); try (Scanner $reader = new Scanner($path)) { while ($reader.hasNextLine()) { $lines.add($reader.nextLine()); } } return $lines; }",
        r"$MOD List<String> $M(String $path) throws IOException { try (Stream<String> $tok = Files.lines(Paths.get($path))) { return $tok.collect(Collectors.toList()); } }",
        r"""$MOD String[] $M(String $path) throws IOException { String $str = new String(Files.readAllBytes(Paths.get($path)), StandardCharsets.UTF_8); return $str.split("\\r?\\n"); }""",
    )),
    Family("word_count", "Counts the words of a text.", ("wordCount", "countWords", "numWords", "words", "countTokens"), (
        r"""$MOD int $M(String $str) { if ($str == null || $str.trim().isEmpty()) { return 0; } return $str.trim().split("\\s+").length; }""",
        r"$MOD int $M(String $str) { StringTokenizer $tok = new StringTokenizer($str); return $tok.countTokens(); }",
        r"$MOD int $M(String $str) { int $res = 0; boolean $flag = false; for (int $i = 0; $i < $str.length(); $i++) { if (Character.isWhitespace($str.charAt($i))) { $flag = false; } else if (!$flag) { $flag = true; $res++; } } return $res; }",
        r"""$MOD long $M(String $str) { return Arrays.stream($str.split("\\s+")).filter($x -> !$x.isEmpty()).count(); }""",
        r"$MOD int $M(String $str) { int $res = 0; try (Scanner $reader = new Scanner($str)) { while ($reader.hasNext()) { $reader.next(); $res++; } } return $res; }",
    )),
    Family("matrix_multiply", "Multiplies two matrices.", ("multiply", "matMul", "matrixMultiply", "mul", "product"), (
        r"$MOD int[][] $M(int[][] $arr, int[][] $arr2) { int $n = $arr.length, $m = $arr2[0].length, $len = $arr2.length; int[][] $res = new int[$n][$m]; for (int $i = 0; $i < $n; $i++) { for (int $j = 0; $j < $m; $j++) { for (int $k = 0; $k < $len; $k++) { $res[$i][$j] += $arr[$i][$k] * $arr2[$k][$j]; } } } return $res; }",
        r"$MOD double[][] $M(double[][] $arr, double[][] $arr2) { double[][] $res = new double[$arr.length][$arr2[0].length]; for (int $i = 0; $i < $arr.length; $i++) { for (int $j = 0; $j < $arr2[0].length; $j++) { double $tmp = 0; for (int $k = 0; $k < $arr2.length; $k++) { $tmp += $arr[$i][$k] * $arr2[$k][$j]; } $res[$i][$j] = $tmp; } } return $res; }",
        r"""$MOD long[][] $M(long[][] $arr, long[][] $arr2) { if ($arr[0].length != $arr2.length) { throw new IllegalArgumentException("dimension mismatch"); } long[][] $res = new long[$arr.length][$arr2[0].length]; for (int $i = 0; $i < $arr.length; $i++) { for (int $k = 0; $k < $arr2.length; $k++) { long $tmp = $arr[$i][$k]; for (int $j = 0; $j < $arr2[0].length; $j++) { $res[$i][$j] += $tmp * $arr2[$k][$j]; } } } return $res; }""",
        r"$MOD int[][] $M(int[][] $arr, int[][] $arr2) { int[][] $res = new int[$arr.length][$arr2[0].length]; int $i = 0; while ($i < $arr.length) { int $j = 0; while ($j < $arr2[0].length) { int $k = 0; while ($k < $arr2.length) { $res[$i][$j] += $arr[$i][$k] * $arr2[$k][$j]; $k++; } $j++; } $i++; } return $res; }",
        r"$MOD double[][] $M(double[][] $arr, double[][] $arr2) { return Arrays.stream($arr).map($x -> IntStream.range(0, $arr2[0].length).mapToDouble($j -> IntStream.range(0, $arr2.length).mapToDouble($k -> $x[$k] * $arr2[$k][$j]).sum()).toArray()).toArray(double[][]::new); }",
    )),
    Family("string_join", "Joins strings with a separator.", ("join", "joinStrings", "concat", "implode", "mkString"), (
        r"$MOD String $M(List<String> $list, String $sep) { StringBuilder $sb = new StringBuilder(); for (int $i = 0; $i < $list.size(); $i++) { if ($i > 0) { $sb.append($sep); } $sb.append($list.get($i)); } return $sb.toString(); }",
        r"$MOD String $M(List<String> $list, String $sep) { return String.join($sep, $list); }",
        r"$MOD String $M(String[] $arr, String $sep) { return Arrays.stream($arr).collect(Collectors.joining($sep)); }",
        r"$MOD String $M(Collection<String> $list, String $sep) { StringJoiner $sb = new StringJoiner($sep); for (String $str : $list) { $sb.add($str); } return $sb.toString(); }",
        r"""$MOD String $M(String[] $arr, String $sep) { if ($arr.length == 0) return ""; String $res = $arr[0]; for (int $i = 1; $i < $arr.length; $i++) { $res = $res + $sep + $arr[$i]; } return $res; }""",
        r"$MOD String $M(Iterable<String> $list, String $sep) { StringBuilder $sb = new StringBuilder(); Iterator<String> $it = $list.iterator(); while ($it.hasNext()) { $sb.append($it.next()); if ($it.hasNext()) { $sb.append($sep); } } return $sb.toString(); }",
    )),
    Family("celsius_to_fahrenheit", "Converts Celsius to Fahrenheit.", ("toFahrenheit", "celsiusToFahrenheit", "c2f", "convert", "cToF"), (
        r"$MOD double $M(double $deg) { return $deg * 9 / 5 + 32; }",
        r"$MOD double $M(double $deg) { return $deg * 1.8 + 32.0; }",
        r"$MOD double $M(double $deg) { double $x = 9.0 / 5.0; double $y = 32; double $res = $deg * $x + $y; return $res; }",
        r"$MOD float $M(float $deg) { return (9f * $deg) / 5f + 32f; }",
        r"$MOD double[] $M(double[] $arr) { double[] $res = new double[$arr.length]; for (int $i = 0; $i < $arr.length; $i++) { $res[$i] = $arr[$i] * 9.0 / 5.0 + 32.0; } return $res; }",
        r"$MOD int $M(int $deg) { return Math.round($deg * 9 / 5f) + 32; }",
    )),
    Family("power", "Raises a base to a non-negative integer power.", ("power", "pow", "raise", "exponent", "ipow"), (
        r"$MOD long $M(long $base, int $exp) { long $res = 1; for (int $i = 0; $i < $exp; $i++) { $res *= $base; } return $res; }",
        r"$MOD double $M(double $base, int $exp) { if ($exp == 0) { return 1; } return $base * $M($base, $exp - 1); }",
        r"$MOD long $M(long $base, int $exp) { long $res = 1; while ($exp > 0) { if (($exp & 1) == 1) { $res *= $base; } $base *= $base; $exp >>= 1; } return $res; }",
        r"$MOD int $M(int $base, int $exp) { return (int) Math.pow($base, $exp); }",
        r"$MOD long $M(long $base, int $exp) { if ($exp == 0) return 1; long $tmp = $M($base, $exp / 2); return ($exp % 2 == 0) ? $tmp * $tmp : $tmp * $tmp * $base; }",
        r"$MOD BigInteger $M(int $base, int $exp) { return BigInteger.valueOf($base).pow($exp); }",
    )),
    Family("digit_sum", "Sums the decimal digits of a number.", ("digitSum", "sumDigits", "sumOfDigits", "crossSum", "addDigits"), (
        r"$MOD int $M(int $n) { int $res = 0; $n = Math.abs($n); while ($n > 0) { $res += $n % 10; $n /= 10; } return $res; }",
        r"$MOD int $M(int $n) { if ($n == 0) { return 0; } return $n % 10 + $M($n / 10); }",
        r"$MOD int $M(long $n) { int $res = 0; for (char $ch : String.valueOf($n).toCharArray()) { if (Character.isDigit($ch)) { $res += $ch - '0'; } } return $res; }",
        r"$MOD int $M(int $n) { return String.valueOf(Math.abs($n)).chars().map(Character::getNumericValue).sum(); }",
        r"$MOD int $M(int $n) { int $res; for ($res = 0; $n != 0; $n /= 10) { $res += Math.abs($n % 10); } return $res; }",
    )),
    Family("remove_duplicates", "Removes duplicate elements, keeping the first occurrence.", ("removeDuplicates", "dedup", "unique", "distinct", "dedupe"), (
        r"$MOD List<Integer> $M(List<Integer> $list) { return new ArrayList<>(new LinkedHashSet<>($list)); }",
        r"$MOD List<Integer> $M(List<Integer> $list) { List<Integer> $res = new ArrayList<>(); for (Integer $elem : $list) { if (!$res.contains($elem)) { $res.add($elem); } } return $res; }",
        r"$MOD int[] $M(int[] $arr) { return Arrays.stream($arr).distinct().toArray(); }",
        r"$MOD int[] $M(int[] $arr) { if ($arr.length == 0) { return $arr; } int[] $tmp = $arr.clone(); Arrays.sort($tmp); int $n = 1; for (int $i = 1; $i < $tmp.length; $i++) { if ($tmp[$i] != $tmp[$n - 1]) { $tmp[$n++] = $tmp[$i]; } } return Arrays.copyOf($tmp, $n); }",
        r"$MOD List<String> $M(List<String> $list) { Set<String> $set = new HashSet<>(); List<String> $res = new ArrayList<>(); for (String $str : $list) { if ($set.add($str)) { $res.add($str); } } return $res; }",
    )),
    Family("count_char", "Counts occurrences of a character in a string.", ("countChar", "occurrences", "countOccurrences", "frequency", "charCount"), (
        r"$MOD int $M(String $str, char $ch) { int $res = 0; for (int $i = 0; $i < $str.length(); $i++) { if ($str.charAt($i) == $ch) { $res++; } } return $res; }",
        r"""$MOD int $M(String $str, char $ch) { return $str.length() - $str.replace(String.valueOf($ch), "").length(); }""",
        r"$MOD long $M(String $str, char $ch) { return $str.chars().filter($x -> $x == $ch).count(); }",
        r"$MOD int $M(String $str, char $ch) { int $res = 0; int $i = $str.indexOf($ch); while ($i != -1) { $res++; $i = $str.indexOf($ch, $i + 1); } return $res; }",
        r"$MOD int $M(String $str, char $ch) { int $res = 0; for (char $x : $str.toCharArray()) { $res += ($x == $ch) ? 1 : 0; } return $res; }",
    )),
    Family("average", "Arithmetic mean of the values.", ("average", "mean", "avg", "computeMean", "getAverage"), (
        r"$MOD double $M(int[] $arr) { if ($arr.length == 0) { return 0.0; } double $res = 0; for (int $elem : $arr) { $res += $elem; } return $res / $arr.length; }",
        r"$MOD double $M(int[] $arr) { return Arrays.stream($arr).average().orElse(0.0); }",
        r"$MOD double $M(List<Double> $list) { double $res = 0; int $n = 0; for (double $elem : $list) { $res += $elem; $n++; } return $n == 0 ? 0 : $res / $n; }",
        r"$MOD double $M(double[] $arr) { double $res = 0; int $i = 0; while ($i < $arr.length) { $res += $arr[$i]; $i++; } return $arr.length > 0 ? $res / $arr.length : Double.NaN; }",
        r"$MOD double $M(double[] $arr) { double $res = 0; for (int $i = 0; $i < $arr.length; $i++) { $res += ($arr[$i] - $res) / ($i + 1); } return $res; }",
    )),
    Family("reverse_array", "Reverses the order of the elements.", ("reverseArray", "reverse", "mirror", "reverseInPlace", "flipArray"), (
        r"$MOD void $M(int[] $arr) { for (int $lo = 0, $hi = $arr.length - 1; $lo < $hi; $lo++, $hi--) { int $tmp = $arr[$lo]; $arr[$lo] = $arr[$hi]; $arr[$hi] = $tmp; } }",
        r"$MOD int[] $M(int[] $arr) { int[] $res = new int[$arr.length]; for (int $i = 0; $i < $arr.length; $i++) { $res[$i] = $arr[$arr.length - 1 - $i]; } return $res; }",
        r"$MOD <E> List<E> $M(List<E> $list) { List<E> $res = new ArrayList<>($list); Collections.reverse($res); return $res; }",
        r"$MOD void $M(int[] $arr) { int $n = $arr.length; for (int $i = 0; $i < $n / 2; $i++) { int $tmp = $arr[$i]; $arr[$i] = $arr[$n - $i - 1]; $arr[$n - $i - 1] = $tmp; } }",
        r"$MOD int[] $M(int[] $arr) { return IntStream.range(0, $arr.length).map($i -> $arr[$arr.length - 1 - $i]).toArray(); }",
    )),
    Family("write_file", "Writes text to a file.", ("writeFile", "save", "writeText", "dump", "store"), (
        r"$MOD void $M(String $path, String $str) throws IOException { FileWriter $out = new FileWriter($path); $out.write($str); $out.close(); }",
        r"$MOD void $M(Path $path, String $str) throws IOException { Files.write($path, $str.getBytes(StandardCharsets.UTF_8)); }",
        r"$MOD void $M(String $path, List<String> $list) throws IOException { try (PrintWriter $out = new PrintWriter(new FileWriter($path))) { for (String $line : $list) { $out.println($line); } } }",
        r"$MOD void $M(File $path, String $str) throws IOException { BufferedWriter $out = new BufferedWriter(new FileWriter($path)); try { $out.write($str); } finally { $out.close(); } }",
        r"""$MOD void $M(String $path, String $str) throws IOException { try (OutputStream $out = new FileOutputStream($path)) { $out.write($str.getBytes("UTF-8")); } }""",
    )),
    Family("is_anagram", "Checks whether two strings are anagrams.", ("isAnagram", "anagram", "areAnagrams", "sameLetters", "checkAnagram"), (
        r"$MOD boolean $M(String $str, String $word) { char[] $x = $str.toCharArray(); char[] $y = $word.toCharArray(); Arrays.sort($x); Arrays.sort($y); return Arrays.equals($x, $y); }",
        r"$MOD boolean $M(String $str, String $word) { if ($str.length() != $word.length()) { return false; } int[] $arr = new int[256]; for (int $i = 0; $i < $str.length(); $i++) { $arr[$str.charAt($i)]++; $arr[$word.charAt($i)]--; } for (int $elem : $arr) { if ($elem != 0) return false; } return true; }",
        r"$MOD boolean $M(String $str, String $word) { Map<Character, Integer> $map = new HashMap<>(); for (char $ch : $str.toCharArray()) { $map.put($ch, $map.getOrDefault($ch, 0) + 1); } for (char $ch : $word.toCharArray()) { Integer $n = $map.get($ch); if ($n == null || $n == 0) { return false; } $map.put($ch, $n - 1); } return $str.length() == $word.length(); }",
        r"$MOD boolean $M(String $str, String $word) { StringBuilder $sb = new StringBuilder($word); for (char $ch : $str.toCharArray()) { int $i = $sb.indexOf(String.valueOf($ch)); if ($i < 0) { return false; } $sb.deleteCharAt($i); } return $sb.length() == 0; }",
    )),
    Family("leap_year", "Tells whether a year is a leap year.", ("isLeapYear", "leap", "isLeap", "leapYear", "checkLeap"), (
        r"$MOD boolean $M(int $n) { return ($n % 4 == 0 && $n % 100 != 0) || $n % 400 == 0; }",
        r"$MOD boolean $M(int $n) { if ($n % 400 == 0) { return true; } if ($n % 100 == 0) { return false; } return $n % 4 == 0; }",
        r"$MOD boolean $M(int $n) { return java.time.Year.isLeap($n); }",
        r"$MOD boolean $M(int $n) { return new GregorianCalendar().isLeapYear($n); }",
        r"$MOD boolean $M(int $n) { boolean $flag = false; if ($n % 4 == 0) { if ($n % 100 == 0) { $flag = $n % 400 == 0; } else { $flag = true; } } return $flag; }",
    )),
    Family("linear_search", "Index of the first occurrence of a value; -1 when absent.", ("indexOf", "linearSearch", "findIndex", "position", "lookup"), (
        r"$MOD int $M(int[] $arr, int $n) { for (int $i = 0; $i < $arr.length; $i++) { if ($arr[$i] == $n) { return $i; } } return -1; }",
        r"$MOD int $M(List<Integer> $list, int $n) { return $list.indexOf($n); }",
        r"$MOD int $M(int[] $arr, int $n) { int $i = 0; while ($i < $arr.length && $arr[$i] != $n) { $i++; } return $i < $arr.length ? $i : -1; }",
        r"$MOD int $M(int[] $arr, int $n) { return IntStream.range(0, $arr.length).filter($i -> $arr[$i] == $n).findFirst().orElse(-1); }",
        r"$MOD int $M(String[] $arr, String $str) { int $i = 0; for (String $elem : $arr) { if ($elem.equals($str)) { return $i; } $i++; } return -1; }",
    )),
)
# fmt: on

POOLS: dict[str, tuple[str, ...]] = {
    "n": ("n", "num", "number", "value", "k", "input", "count", "limit", "size", "val"),
    "m": ("m", "b", "other", "second", "q", "d", "rhs"),
    "res": ("result", "res", "acc", "total", "ret", "answer", "r", "out", "value"),
    "i": ("i", "idx", "index", "pos", "cur", "ii", "p"),
    "j": ("j", "jj", "col", "w", "q"),
    "k": ("k", "kk", "t", "z", "inner"),
    "tmp": ("tmp", "temp", "t", "swap", "aux", "hold", "saved", "next"),
    "str": ("s", "str", "text", "input", "word", "line", "source", "value", "content"),
    "word": ("other", "t", "second", "target", "word2", "candidate", "b"),
    "sb": ("sb", "builder", "buffer", "buf", "out", "acc", "joiner"),
    "src": ("src", "source", "from", "inFile", "inputPath", "original", "srcPath"),
    "dst": ("dst", "dest", "target", "to", "outFile", "outputPath", "copy"),
    "in": ("in", "is", "input", "fis", "inStream", "bin"),
    "out": ("out", "os", "output", "fos", "writer", "sink", "bw"),
    "buf": ("buf", "buffer", "bytes", "chunk", "data", "block", "chars"),
    "len": ("len", "n", "read", "count", "bytesRead", "r", "c", "b"),
    "arr": ("arr", "array", "a", "values", "nums", "data", "numbers", "items", "elements", "input"),
    "arr2": ("b", "other", "second", "rhs", "right", "m2", "y"),
    "list": ("list", "items", "values", "elements", "input", "parts", "data", "words", "lines", "col"),
    "sep": ("sep", "separator", "delim", "delimiter", "glue", "joiner", "d"),
    "flag": ("swapped", "changed", "flag", "inWord", "done", "again", "leap"),
    "ch": ("c", "ch", "chr", "character", "letter"),
    "elem": ("e", "el", "elem", "item", "v", "element", "value", "x"),
    "x": ("x", "u", "v", "a1", "z", "e", "f"),
    "y": ("y", "w", "b1", "t", "g"),
    "base": ("base", "b", "x", "a", "value", "num"),
    "exp": ("exp", "e", "n", "power", "exponent", "p"),
    "map": ("map", "counts", "freq", "table", "occurrences", "m"),
    "set": ("seen", "set", "unique", "visited", "known", "vowels"),
    "it": ("it", "iter", "iterator", "cursor"),
    "reader": ("reader", "br", "in", "scanner", "sc", "rd"),
    "line": ("line", "s", "row", "current", "l", "text"),
    "lines": ("lines", "result", "list", "rows", "content", "out"),
    "lo": ("lo", "low", "left", "start", "begin", "l", "first"),
    "hi": ("hi", "high", "right", "end", "last", "h", "upper"),
    "mid": ("mid", "middle", "m", "center", "pivot", "best"),
    "path": ("path", "file", "fileName", "filename", "target", "dest", "f"),
    "tok": ("st", "tokenizer", "tok", "tokens", "stream", "parts"),
    "deg": ("c", "celsius", "degrees", "temp", "tc", "value", "deg"),
}
MODIFIERS = ("public static", "static", "private static", "public", "private", "protected", "public final")
GENERIC_NAMES = (
    "compute",
    "process",
    "calculate",
    "doWork",
    "run",
    "execute",
    "apply",
    "handle",
    "helper",
    "perform",
)
COMMENTS = (
    "// TODO: handle edge cases",
    "// main loop",
    "// compute the result",
    "// NOTE: not thread-safe",
    "// fast path",
    "// see bug 4711",
    "// FIXME",
    "// keep this simple",
)
LOG_LINES = (
    'System.out.println("$M");',
    'System.err.println("entering $M");',
    'System.out.println("DEBUG: $M called");',
    'System.out.println("start");',
)
DOC_LINES = (
    "Helper method.",
    "Utility routine used by the service layer.",
    "Do not call from the UI thread.",
)


def _body_start(code: str) -> int:
    """Offset of the method body's `{`: the first brace outside the parameter list."""
    depth = 0
    for pos, ch in enumerate(code):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "{" and depth == 0:
            return pos
    raise ValueError(f"Template has no body: {code[:60]!r}")


def _add_extras(code: str, names: dict[str, str], rng: random.Random) -> str:
    """Optionally put a log line or a null guard first in the body: common noise in real methods."""
    body = _body_start(code)
    params = set(re.findall(r"\w+", code[:body]))
    extras = []
    if rng.random() < 0.2:
        extras.append(fill(rng.choice(LOG_LINES), names))
    guarded = [names[r] for r in ("arr", "str", "list") if names.get(r) in params]
    if guarded and rng.random() < 0.15:
        extras.append(f"Objects.requireNonNull({guarded[0]});")
    if not extras:
        return code
    return code[: body + 1] + " " + " ".join(extras) + code[body + 1 :]


def java_function(family: Family, impl: int, rng: random.Random) -> str:
    """One rendering of implementation `impl` of `family`, with every surface choice drawn from `rng`."""
    template = family.impls[impl]
    method = rng.choice(GENERIC_NAMES) if rng.random() < 0.25 else rng.choice(family.methods)
    fixed = {
        "M": method,
        "MOD": rng.choice(MODIFIERS),
        "T": rng.choice(("int", "long")),
        "SZ": rng.choice(("512", "1024", "2048", "4096", "8192", "16 * 1024")),
    }
    names = pick_names(template_roles(template), POOLS, rng, fixed)
    lines = split_lines(_add_extras(fill(template, names), names, rng))
    if rng.random() < 0.3:
        lines = sprinkle(lines, rng, COMMENTS, "comment", rng.randint(1, 2))
    if rng.random() < 0.2:
        lines = sprinkle(lines, rng, (), "blank", 1)
    layout = random_layout(rng, ("knr", "knr", "knr", "allman"), ("", "    ", "    ", "\t"))
    text = render(lines, layout)
    if rng.random() < 0.3:
        doc = family.doc if rng.random() < 0.5 else rng.choice(DOC_LINES)
        pad = layout.base_indent
        text = f"{pad}/**\n{pad} * {doc}\n{pad} */\n" + text
    return text
