package example.storage;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import example.journal.Checksum;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FileStoreJournalTest {
    private static final long LATENCY_MS = 450;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void putsAreJournaledWithChecksums() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        store.put("a", "hello");
        Thread.sleep(LATENCY_MS);
        assertEquals("put a " + Checksum.of("hello"), store.journal().entries().get(0));
    }

    @Test
    public void deletesAreJournaled() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        store.put("a", "x");
        assertTrue(store.delete("a"));
        Thread.sleep(LATENCY_MS);
        assertEquals("delete a", store.journal().entries().get(1));
    }

    @Test
    public void deletingAMissingKeyIsNotJournaled() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        assertFalse(store.delete("ghost"));
        Thread.sleep(LATENCY_MS);
        assertEquals(0, store.journal().size());
    }

    @Test
    public void journalCountsEveryChange() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        for (int i = 0; i < 20; i++) {
            store.put("k" + i, "v" + i);
        }
        Thread.sleep(LATENCY_MS);
        assertEquals(20, store.journal().size());
    }
}
