package example.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** An append-only log of text entries, one per line, in a file. */
public final class Journal {
    private final Path file;

    public Journal(Path file) {
        this.file = file;
    }

    public void append(String entry) throws IOException {
        if (entry.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("an entry must be a single line");
        }
        Files.write(file, (entry + "\n").getBytes(StandardCharsets.UTF_8),
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    public List<String> entries() throws IOException {
        if (!Files.exists(file)) {
            return new ArrayList<String>();
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    public int size() throws IOException {
        return entries().size();
    }
}
