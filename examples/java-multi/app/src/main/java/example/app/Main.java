package example.app;

import example.catalog.Catalog;
import example.pricing.Cart;
import example.pricing.Discount;

/** Prints a sample receipt. */
public final class Main {
    private Main() {}

    public static Cart sampleCart() {
        Catalog catalog = new Catalog("EUR");
        catalog.add("Green Tea", "4.50", "Drinks");
        catalog.add("Shortbread", "2.20", "Biscuits");
        return new Cart("EUR")
            .add(catalog.get("green-tea"), 2)
            .add(catalog.get("shortbread"), 3)
            .apply(Discount.nForPriceOfNMinusOne(3, "biscuits"));
    }

    public static void main(String[] args) {
        System.out.print(new Receipt(32).render(sampleCart()));
    }
}
