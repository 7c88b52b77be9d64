package example.app;

import example.catalog.Product;
import example.pricing.Cart;
import example.text.Columns;
import java.util.Map;

/** Renders a cart as a plain-text receipt. */
public final class Receipt {
    private final int width;

    public Receipt(int width) {
        if (width < 20) throw new IllegalArgumentException("receipt width must be at least 20: " + width);
        this.width = width;
    }

    public String render(Cart cart) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Product, Integer> line : cart.lines().entrySet()) {
            Product p = line.getKey();
            String label = line.getValue() + " x " + p.name();
            out.append(Columns.line(label, p.price().times(line.getValue()).toString(), width)).append('\n');
        }
        out.append(repeat('-', width)).append('\n');
        out.append(Columns.line("Subtotal", cart.subtotal().toString(), width)).append('\n');
        if (cart.discount().cents() > 0) {
            out.append(Columns.line("Discount", "-" + cart.discount(), width)).append('\n');
        }
        out.append(Columns.line("Total", cart.total().toString(), width)).append('\n');
        return out.toString();
    }

    private static String repeat(char c, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(c);
        return sb.toString();
    }
}
