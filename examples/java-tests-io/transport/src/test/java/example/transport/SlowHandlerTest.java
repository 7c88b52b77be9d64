package example.transport;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class SlowHandlerTest {
    private static LineServer delayed(final long ms, final String answer) throws java.io.IOException {
        return new LineServer(new LineServer.Handler() {
            public String reply(String line) throws java.io.IOException {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return answer + line.length();
            }
        });
    }

    @Test
    public void waitsForASlowReply() throws Exception {
        try (LineServer server = delayed(500, "len="); LineClient client = new LineClient(server.port())) {
            assertEquals("len=5", client.call("hello"));
        }
    }

    @Test
    public void slowRepliesStayInOrder() throws Exception {
        try (LineServer server = delayed(250, "n="); LineClient client = new LineClient(server.port())) {
            assertEquals("n=1", client.call("a"));
            assertEquals("n=2", client.call("ab"));
        }
    }

    @Test
    public void longLines() throws Exception {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 10000; i++) {
            line.append('x');
        }
        try (LineServer server = delayed(400, ""); LineClient client = new LineClient(server.port())) {
            assertEquals("10000", client.call(line.toString()));
        }
    }

    @Test
    public void answersAfterAPause() throws Exception {
        try (LineServer server = delayed(450, "ok"); LineClient client = new LineClient(server.port())) {
            assertEquals("ok0", client.call(""));
        }
    }
}
