package example.journal;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** CRC-32 of text, as eight hex digits. */
public final class Checksum {
    private Checksum() {
    }

    public static String of(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
