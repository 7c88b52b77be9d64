package example.gateway;

import static org.junit.Assert.assertEquals;

import example.storage.FileStore;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class GatewayJournalTest {
    private static final long LATENCY_MS = 400;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void everyPutIsJournaled() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        Gateway gateway = new Gateway(store);
        gateway.reply("PUT a 1");
        gateway.reply("PUT b 2");
        Thread.sleep(LATENCY_MS);
        assertEquals(2, store.journal().size());
    }

    @Test
    public void failedCommandsAreNotJournaled() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        Gateway gateway = new Gateway(store);
        gateway.reply("PUT BAD 1");
        gateway.reply("DEL missing");
        Thread.sleep(LATENCY_MS);
        assertEquals(0, store.journal().size());
    }

    @Test
    public void journalSurvivesANewGateway() throws Exception {
        new Gateway(new FileStore(dir.getRoot().toPath())).reply("PUT k v");
        Thread.sleep(LATENCY_MS);
        FileStore reopened = new FileStore(dir.getRoot().toPath());
        assertEquals(1, reopened.journal().size());
    }

    @Test
    public void deleteAddsAnEntry() throws Exception {
        FileStore store = new FileStore(dir.getRoot().toPath());
        Gateway gateway = new Gateway(store);
        gateway.reply("PUT k v");
        gateway.reply("DEL k");
        Thread.sleep(LATENCY_MS);
        assertEquals("delete k", store.journal().entries().get(1));
    }
}
