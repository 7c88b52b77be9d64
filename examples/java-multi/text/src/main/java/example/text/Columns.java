package example.text;

/** Lays out text in fixed-width columns. */
public final class Columns {
    private Columns() {}

    public static String padRight(String text, int width) {
        if (text.length() >= width) return text.substring(0, width);
        StringBuilder out = new StringBuilder(text);
        while (out.length() < width) out.append(' ');
        return out.toString();
    }

    public static String padLeft(String text, int width) {
        if (text.length() >= width) return text.substring(text.length() - width);
        StringBuilder out = new StringBuilder();
        while (out.length() + text.length() < width) out.append(' ');
        return out.append(text).toString();
    }

    /** One line with a label on the left and a value flush right. */
    public static String line(String label, String value, int width) {
        int labelWidth = Math.max(0, width - value.length() - 1);
        return padRight(label, labelWidth) + " " + value;
    }
}
