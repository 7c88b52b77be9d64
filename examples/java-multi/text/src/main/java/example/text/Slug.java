package example.text;

import java.text.Normalizer;
import java.util.Locale;

/** Turns display names into URL-safe identifiers. */
public final class Slug {
    private Slug() {}

    public static String of(String name) {
        if (name == null) throw new IllegalArgumentException("name must not be null");
        String ascii = Normalizer.normalize(name, Normalizer.Form.NFD).replaceAll("\\p{M}", "");
        String slug = ascii.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        slug = slug.replaceAll("^-+|-+$", "");
        if (slug.isEmpty()) throw new IllegalArgumentException("name has no letters or digits: '" + name + "'");
        return slug;
    }
}
