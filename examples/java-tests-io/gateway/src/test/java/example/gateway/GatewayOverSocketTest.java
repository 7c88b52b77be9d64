package example.gateway;

import static org.junit.Assert.assertEquals;

import example.storage.FileStore;
import example.transport.LineClient;
import example.transport.LineServer;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class GatewayOverSocketTest {
    private static final long LATENCY_MS = 500;

    @Rule
    public TemporaryFolder dir = new TemporaryFolder();

    @Test
    public void storesThroughTheSocket() throws Exception {
        Gateway gateway = new Gateway(new FileStore(dir.getRoot().toPath()));
        try (LineServer server = new LineServer(gateway); LineClient client = new LineClient(server.port())) {
            assertEquals("OK", client.call("PUT k v"));
            Thread.sleep(LATENCY_MS);
            assertEquals("VALUE v", client.call("GET k"));
        }
    }

    @Test
    public void valuesMayHoldSpaces() throws Exception {
        Gateway gateway = new Gateway(new FileStore(dir.getRoot().toPath()));
        try (LineServer server = new LineServer(gateway); LineClient client = new LineClient(server.port())) {
            client.call("PUT note a b c");
            Thread.sleep(LATENCY_MS);
            assertEquals("VALUE a b c", client.call("GET note"));
        }
    }

    @Test
    public void secondClientSeesFirstClientsWrite() throws Exception {
        Gateway gateway = new Gateway(new FileStore(dir.getRoot().toPath()));
        try (LineServer server = new LineServer(gateway)) {
            try (LineClient writer = new LineClient(server.port())) {
                writer.call("PUT shared 1");
            }
            Thread.sleep(LATENCY_MS);
            try (LineClient reader = new LineClient(server.port())) {
                assertEquals("VALUE 1", reader.call("GET shared"));
            }
        }
    }

    @Test
    public void errorsComeBackAsLines() throws Exception {
        Gateway gateway = new Gateway(new FileStore(dir.getRoot().toPath()));
        try (LineServer server = new LineServer(gateway); LineClient client = new LineClient(server.port())) {
            Thread.sleep(LATENCY_MS);
            assertEquals("ERROR unknown command", client.call("NOPE"));
        }
    }
}
