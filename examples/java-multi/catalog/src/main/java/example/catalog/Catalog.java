package example.catalog;

import example.money.Money;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Products by slug, in insertion order; every product is priced in the catalog's currency. */
public final class Catalog {
    private final String currency;
    private final Map<String, Product> bySlug = new LinkedHashMap<>();

    public Catalog(String currency) {
        this.currency = currency;
    }

    public String currency() { return currency; }

    public Product add(String name, String price, String category) {
        Product product = new Product(name, Money.parse(price, currency), category);
        if (bySlug.containsKey(product.slug())) {
            throw new IllegalArgumentException("duplicate product: " + product.slug());
        }
        bySlug.put(product.slug(), product);
        return product;
    }

    public Product get(String slug) {
        Product product = bySlug.get(slug);
        if (product == null) throw new IllegalArgumentException("no product with slug '" + slug + "'");
        return product;
    }

    public List<Product> inCategory(String category) {
        List<Product> found = new ArrayList<>();
        for (Product p : bySlug.values()) {
            if (p.category().equals(category)) found.add(p);
        }
        return Collections.unmodifiableList(found);
    }

    public int size() { return bySlug.size(); }
}
