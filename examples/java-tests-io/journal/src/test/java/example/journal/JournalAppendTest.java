package example.journal;

import static org.junit.Assert.assertEquals;

import java.util.Arrays;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JournalAppendTest {
    /** Stands for a slow disk or a remote log service each test waits on. */
    private static final long LATENCY_MS = 400;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void appendsInOrder() throws Exception {
        Journal journal = new Journal(dir.newFile().toPath());
        journal.append("one");
        journal.append("two");
        Thread.sleep(LATENCY_MS);
        assertEquals(Arrays.asList("one", "two"), journal.entries());
    }

    @Test
    public void emptyJournalHasNoEntries() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals(0, new Journal(dir.getRoot().toPath().resolve("none.log")).size());
    }

    @Test
    public void keepsUnicode() throws Exception {
        Journal journal = new Journal(dir.newFile().toPath());
        journal.append("größe ✓");
        Thread.sleep(LATENCY_MS);
        assertEquals("größe ✓", journal.entries().get(0));
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesMultiLineEntries() throws Exception {
        Thread.sleep(LATENCY_MS);
        new Journal(dir.newFile().toPath()).append("a\nb");
    }

    @Test
    public void manyAppendsAreAllKept() throws Exception {
        Journal journal = new Journal(dir.newFile().toPath());
        for (int i = 0; i < 200; i++) {
            journal.append("entry " + i);
        }
        Thread.sleep(LATENCY_MS);
        assertEquals(200, journal.size());
        assertEquals("entry 199", journal.entries().get(199));
    }
}
