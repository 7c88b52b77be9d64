package example.storage;

import static org.junit.Assert.assertEquals;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class FileStoreKeysTest {
    private static final long LATENCY_MS = 300;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test(expected = IllegalArgumentException.class)
    public void refusesPathsAsKeys() throws Exception {
        Thread.sleep(LATENCY_MS);
        new FileStore(dir.getRoot().toPath()).put("../escape", "x");
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesEmptyKeys() throws Exception {
        Thread.sleep(LATENCY_MS);
        new FileStore(dir.getRoot().toPath()).get("");
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesUpperCase() throws Exception {
        Thread.sleep(LATENCY_MS);
        new FileStore(dir.getRoot().toPath()).delete("Key");
    }

    @Test
    public void acceptsDashesAndDigits() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        store.put("order-42", "ok");
        Thread.sleep(LATENCY_MS);
        assertEquals("ok", store.get("order-42"));
    }
}
