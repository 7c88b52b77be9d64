package example.gateway;

import static org.junit.Assert.assertEquals;

import example.storage.FileStore;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class GatewayCommandsTest {
    /** Stands for the round trip to a remote client. */
    private static final long LATENCY_MS = 450;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    private Gateway gateway;

    @Before
    public void open() throws Exception {
        gateway = new Gateway(new FileStore(dir.getRoot().toPath()));
    }

    @Test
    public void putThenGet() throws Exception {
        assertEquals("OK", gateway.reply("PUT tea 4.50 EUR"));
        Thread.sleep(LATENCY_MS);
        assertEquals("VALUE 4.50 EUR", gateway.reply("GET tea"));
    }

    @Test
    public void getMissing() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals("MISSING", gateway.reply("GET nothing"));
    }

    @Test
    public void deleteThenGet() throws Exception {
        gateway.reply("PUT a 1");
        assertEquals("OK", gateway.reply("DEL a"));
        Thread.sleep(LATENCY_MS);
        assertEquals("MISSING", gateway.reply("GET a"));
    }

    @Test
    public void unknownCommand() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals("ERROR unknown command", gateway.reply("FLY away"));
    }

    @Test
    public void badKey() throws Exception {
        Thread.sleep(LATENCY_MS);
        assertEquals("ERROR bad key: ../x", gateway.reply("GET ../x"));
    }
}
