package example.catalog;

import static org.junit.Assert.assertEquals;

import java.util.List;
import org.junit.Test;

public class CatalogTest {
    private Catalog sample() {
        Catalog catalog = new Catalog("EUR");
        catalog.add("Green Tea", "4.50", "Drinks");
        catalog.add("Espresso Beans", "12.90", "Drinks");
        catalog.add("Shortbread", "2.20", "Biscuits");
        return catalog;
    }

    @Test
    public void findsProductsBySlug() {
        Product tea = sample().get("green-tea");
        assertEquals("Green Tea", tea.name());
        assertEquals(450, tea.price().cents());
        assertEquals("EUR", tea.price().currency());
    }

    @Test
    public void listsACategoryInInsertionOrder() {
        List<Product> drinks = sample().inCategory("drinks");
        assertEquals(2, drinks.size());
        assertEquals("green-tea", drinks.get(0).slug());
        assertEquals("espresso-beans", drinks.get(1).slug());
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsDuplicateSlugs() {
        Catalog catalog = sample();
        catalog.add("green tea!", "1.00", "Drinks");
    }

    @Test(expected = IllegalArgumentException.class)
    public void unknownSlugIsAnError() {
        sample().get("caviar");
    }
}
