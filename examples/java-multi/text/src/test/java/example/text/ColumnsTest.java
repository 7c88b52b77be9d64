package example.text;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class ColumnsTest {
    @Test
    public void padsAndTruncates() {
        assertEquals("ab  ", Columns.padRight("ab", 4));
        assertEquals("abcd", Columns.padRight("abcdef", 4));
        assertEquals("  ab", Columns.padLeft("ab", 4));
        assertEquals("cdef", Columns.padLeft("abcdef", 4));
    }

    @Test
    public void alignsValueToTheRightEdge() {
        String line = Columns.line("Tea", "4.50", 12);
        assertEquals(12, line.length());
        assertEquals("Tea     4.50", line);
    }
}
