package example.catalog;

import example.money.Money;
import example.text.Slug;

/** A product for sale: its slug is derived from its name and identifies it in the catalog. */
public final class Product {
    private final String slug;
    private final String name;
    private final Money price;
    private final String category;

    public Product(String name, Money price, String category) {
        if (price.cents() < 0) throw new IllegalArgumentException("price must not be negative: " + price);
        this.slug = Slug.of(name);
        this.name = name;
        this.price = price;
        this.category = Slug.of(category);
    }

    public String slug() { return slug; }
    public String name() { return name; }
    public Money price() { return price; }
    public String category() { return category; }

    @Override
    public String toString() { return name + " (" + price + ")"; }
}
