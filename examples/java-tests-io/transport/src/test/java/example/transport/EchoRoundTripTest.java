package example.transport;

import static org.junit.Assert.assertEquals;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

public class EchoRoundTripTest {
    /** Stands for a remote peer's response time. */
    private static final long LATENCY_MS = 450;

    private LineServer server;

    @Before
    public void start() throws Exception {
        server = new LineServer(new LineServer.Handler() {
            public String reply(String line) throws java.io.IOException {
                try {
                    Thread.sleep(LATENCY_MS);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return "echo " + line;
            }
        });
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void echoesOneLine() throws Exception {
        try (LineClient client = new LineClient(server.port())) {
            assertEquals("echo hi", client.call("hi"));
        }
    }

    @Test
    public void echoesEmptyLine() throws Exception {
        try (LineClient client = new LineClient(server.port())) {
            assertEquals("echo ", client.call(""));
        }
    }

    @Test
    public void echoesUnicode() throws Exception {
        try (LineClient client = new LineClient(server.port())) {
            assertEquals("echo ünïcødé", client.call("ünïcødé"));
        }
    }

    @Test
    public void twoCallsOnOneConnection() throws Exception {
        try (LineClient client = new LineClient(server.port())) {
            assertEquals("echo a", client.call("a"));
            assertEquals("echo b", client.call("b"));
        }
    }
}
