package example.journal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import org.junit.Test;

public class ChecksumTest {
    /** Stands for a checksum service the tests call over the network. */
    private static final long LATENCY_MS = 300;

    @Test
    public void knownValue() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals("cbf43926", Checksum.of("123456789"));
    }

    @Test
    public void emptyText() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals("00000000", Checksum.of(""));
    }

    @Test
    public void differsOnOneCharacter() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertNotEquals(Checksum.of("abc"), Checksum.of("abd"));
    }

    @Test
    public void alwaysEightHexDigits() throws Exception {
        Thread.sleep(LATENCY_MS);
        for (int i = 0; i < 100; i++) {
            assertEquals(8, Checksum.of("v" + i).length());
        }
    }
}
