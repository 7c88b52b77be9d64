package example.transport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A loopback server answering each line of a connection with the handler's reply. */
public final class LineServer implements AutoCloseable {
    public interface Handler {
        String reply(String line) throws IOException;
    }

    private final ServerSocket socket;
    private final Thread acceptor;

    public LineServer(final Handler handler) throws IOException {
        this.socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(new Runnable() {
            public void run() {
                serve(handler);
            }
        }, "line-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void serve(Handler handler) {
        while (!socket.isClosed()) {
            try (Socket client = socket.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter out = new PrintWriter(new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8), true);
                String line;
                while ((line = in.readLine()) != null) {
                    out.println(handler.reply(line));
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
