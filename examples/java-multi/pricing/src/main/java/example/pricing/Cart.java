package example.pricing;

import example.catalog.Product;
import example.money.Money;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Quantities of products, priced with a list of discount rules applied in order. */
public final class Cart {
    private final String currency;
    private final Map<Product, Integer> lines = new LinkedHashMap<>();
    private final List<Discount> discounts = new ArrayList<>();

    public Cart(String currency) {
        this.currency = currency;
    }

    public Cart add(Product product, int quantity) {
        if (quantity <= 0) throw new IllegalArgumentException("quantity must be positive: " + quantity);
        if (!product.price().currency().equals(currency)) {
            throw new IllegalArgumentException(product + " is not priced in " + currency);
        }
        lines.merge(product, quantity, Integer::sum);
        return this;
    }

    public Cart apply(Discount discount) {
        discounts.add(discount);
        return this;
    }

    public Map<Product, Integer> lines() { return Collections.unmodifiableMap(lines); }

    public Money subtotal() {
        Money total = Money.ofCents(0, currency);
        for (Map.Entry<Product, Integer> line : lines.entrySet()) {
            total = total.plus(line.getKey().price().times(line.getValue()));
        }
        return total;
    }

    /** The sum of all discounts, never more than the subtotal. */
    public Money discount() {
        Money saved = Money.ofCents(0, currency);
        for (Discount d : discounts) saved = saved.plus(d.amountOff(this));
        Money subtotal = subtotal();
        return saved.compareTo(subtotal) > 0 ? subtotal : saved;
    }

    public Money total() {
        return subtotal().minus(discount());
    }
}
