package example.app;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class ReceiptTest {
    @Test
    public void rendersLinesDiscountAndTotal() {
        String expected =
            "2 x Green Tea           9.00 EUR\n" +
            "3 x Shortbread          6.60 EUR\n" +
            "--------------------------------\n" +
            "Subtotal               15.60 EUR\n" +
            "Discount               -2.20 EUR\n" +
            "Total                  13.40 EUR\n";
        assertEquals(expected, new Receipt(32).render(Main.sampleCart()));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsNarrowReceipts() {
        new Receipt(10);
    }
}
