package example.storage;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FileStorePutGetTest {
    /** Stands for a networked disk each operation waits on. */
    private static final long LATENCY_MS = 400;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void readsWhatWasPut() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        store.put("tea", "4.50");
        Thread.sleep(LATENCY_MS);
        assertEquals("4.50", store.get("tea"));
    }

    @Test
    public void missingKeyIsNull() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertNull(new FileStore(dir.getRoot().toPath()).get("nothing"));
    }

    @Test
    public void lastPutWins() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        store.put("k", "1");
        store.put("k", "2");
        Thread.sleep(LATENCY_MS);
        assertEquals("2", store.get("k"));
    }

    @Test
    public void survivesReopen() throws Exception {
        new FileStore(dir.getRoot().toPath()).put("kept", "yes");
        Thread.sleep(LATENCY_MS);
        assertEquals("yes", new FileStore(dir.getRoot().toPath()).get("kept"));
    }

    @Test
    public void createsItsDirectory() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath().resolve("a").resolve("b"));
        store.put("x", "y");
        Thread.sleep(LATENCY_MS);
        assertEquals("y", store.get("x"));
    }
}
