package example.pricing;

import example.catalog.Product;
import example.money.Money;
import java.util.Map;

/** A rule that takes an amount off a cart. */
public interface Discount {
    Money amountOff(Cart cart);

    /** Percent off the whole subtotal. */
    static Discount percentOff(int percent) {
        if (percent < 0 || percent > 100) throw new IllegalArgumentException("percent out of range: " + percent);
        return cart -> cart.subtotal().percent(percent);
    }

    /** Buy n of a product in a category, pay for n - 1 (per group of n). */
    static Discount nForPriceOfNMinusOne(int n, String category) {
        if (n < 2) throw new IllegalArgumentException("n must be at least 2: " + n);
        return cart -> {
            Money off = Money.ofCents(0, cart.subtotal().currency());
            for (Map.Entry<Product, Integer> line : cart.lines().entrySet()) {
                if (line.getKey().category().equals(category)) {
                    off = off.plus(line.getKey().price().times(line.getValue() / n));
                }
            }
            return off;
        };
    }
}
