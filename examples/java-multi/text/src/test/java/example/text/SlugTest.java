package example.text;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class SlugTest {
    @Test
    public void lowercasesAndJoinsWordsWithDashes() {
        assertEquals("green-tea-500-g", Slug.of("Green Tea, 500 g"));
    }

    @Test
    public void dropsAccents() {
        assertEquals("creme-brulee", Slug.of("Crème Brûlée"));
    }

    @Test
    public void trimsLeadingAndTrailingSeparators() {
        assertEquals("coffee", Slug.of("  --Coffee!! "));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsNamesWithoutLettersOrDigits() {
        Slug.of("?!");
    }
}
