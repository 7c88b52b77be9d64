package example.storage;

import example.journal.Checksum;
import example.journal.Journal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A key-value store: one file per key, every change recorded in a journal with its checksum. */
public final class FileStore {
    private final Path dir;
    private final Journal journal;

    public FileStore(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.journal = new Journal(dir.resolve("journal.log"));
    }

    public void put(String key, String value) throws IOException {
        checkKey(key);
        Files.write(dir.resolve(key + ".val"), value.getBytes(StandardCharsets.UTF_8));
        journal.append("put " + key + " " + Checksum.of(value));
    }

    public String get(String key) throws IOException {
        checkKey(key);
        Path file = dir.resolve(key + ".val");
        return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : null;
    }

    public boolean delete(String key) throws IOException {
        checkKey(key);
        boolean deleted = Files.deleteIfExists(dir.resolve(key + ".val"));
        if (deleted) {
            journal.append("delete " + key);
        }
        return deleted;
    }

    public Journal journal() {
        return journal;
    }

    private static void checkKey(String key) {
        if (!key.matches("[a-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("bad key: " + key);
        }
    }
}
