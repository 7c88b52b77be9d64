package example.transport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.io.IOException;
import org.junit.Test;

public class ReconnectTest {
    private static final long LATENCY_MS = 500;

    private static LineServer upperCaser() throws IOException {
        return new LineServer(new LineServer.Handler() {
            public String reply(String line) {
                return line.toUpperCase();
            }
        });
    }

    @Test
    public void aNewConnectionAfterTheFirstCloses() throws Exception {
        try (LineServer server = upperCaser()) {
            try (LineClient first = new LineClient(server.port())) {
                assertEquals("A", first.call("a"));
            }
            Thread.sleep(LATENCY_MS);
            try (LineClient second = new LineClient(server.port())) {
                assertEquals("B", second.call("b"));
            }
        }
    }

    @Test
    public void connectingToAClosedServerFails() throws Exception {
        int port;
        try (LineServer server = upperCaser()) {
            port = server.port();
        }
        Thread.sleep(LATENCY_MS);
        try (LineClient client = new LineClient(port)) {
            client.call("x");
            fail("expected the call to fail");
        } catch (IOException expected) {
            // connection refused or reset
        }
    }

    @Test
    public void serversGetDistinctPorts() throws Exception {
        try (LineServer a = upperCaser(); LineServer b = upperCaser()) {
            Thread.sleep(LATENCY_MS);
            assertEquals(false, a.port() == b.port());
        }
    }

    @Test
    public void manyCallsInARow() throws Exception {
        try (LineServer server = upperCaser(); LineClient client = new LineClient(server.port())) {
            for (int i = 0; i < 50; i++) {
                assertEquals("CALL " + i, client.call("call " + i));
            }
            Thread.sleep(LATENCY_MS);
        }
    }
}
