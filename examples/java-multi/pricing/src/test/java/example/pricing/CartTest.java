package example.pricing;

import static org.junit.Assert.assertEquals;

import example.catalog.Catalog;
import org.junit.Before;
import org.junit.Test;

public class CartTest {
    private Catalog catalog;

    @Before
    public void stock() {
        catalog = new Catalog("EUR");
        catalog.add("Green Tea", "4.50", "Drinks");
        catalog.add("Shortbread", "2.20", "Biscuits");
    }

    @Test
    public void sumsLinesAndMergesRepeatedProducts() {
        Cart cart = new Cart("EUR")
            .add(catalog.get("green-tea"), 2)
            .add(catalog.get("shortbread"), 1)
            .add(catalog.get("green-tea"), 1);
        assertEquals(3, (int) cart.lines().get(catalog.get("green-tea")));
        assertEquals("15.70 EUR", cart.total().toString());
    }

    @Test
    public void appliesThreeForTwoPerGroupOfThree() {
        Cart cart = new Cart("EUR")
            .add(catalog.get("shortbread"), 7)
            .apply(Discount.nForPriceOfNMinusOne(3, "biscuits"));
        assertEquals("4.40 EUR", cart.discount().toString());
        assertEquals("11.00 EUR", cart.total().toString());
    }

    @Test
    public void stacksDiscountsButNeverBelowZero() {
        Cart cart = new Cart("EUR")
            .add(catalog.get("green-tea"), 1)
            .apply(Discount.percentOff(80))
            .apply(Discount.percentOff(50));
        assertEquals("0.00 EUR", cart.total().toString());
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesProductsInAnotherCurrency() {
        new Cart("USD").add(catalog.get("green-tea"), 1);
    }
}
