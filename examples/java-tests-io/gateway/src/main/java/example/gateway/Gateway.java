package example.gateway;

import example.storage.FileStore;
import example.transport.LineServer;
import java.io.IOException;

/** A tiny text protocol over a {@link FileStore}: `PUT key value`, `GET key`, `DEL key`. */
public final class Gateway implements LineServer.Handler {
    private final FileStore store;

    public Gateway(FileStore store) {
        this.store = store;
    }

    public String reply(String line) throws IOException {
        String[] parts = line.split(" ", 3);
        try {
            if (parts[0].equals("PUT") && parts.length == 3) {
                store.put(parts[1], parts[2]);
                return "OK";
            }
            if (parts[0].equals("GET") && parts.length == 2) {
                String value = store.get(parts[1]);
                return value == null ? "MISSING" : "VALUE " + value;
            }
            if (parts[0].equals("DEL") && parts.length == 2) {
                return store.delete(parts[1]) ? "OK" : "MISSING";
            }
        } catch (IllegalArgumentException bad) {
            return "ERROR " + bad.getMessage();
        }
        return "ERROR unknown command";
    }
}
