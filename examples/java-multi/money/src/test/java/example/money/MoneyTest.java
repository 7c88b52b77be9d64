package example.money;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class MoneyTest {
    @Test
    public void parsesAmountsWithOneOrTwoDecimals() {
        assertEquals(1234, Money.parse("12.34", "EUR").cents());
        assertEquals(1230, Money.parse("12.3", "EUR").cents());
        assertEquals(1200, Money.parse("12", "EUR").cents());
        assertEquals(-50, Money.parse("-0.50", "EUR").cents());
    }

    @Test
    public void addsMultipliesAndFormats() {
        Money tea = Money.parse("4.50", "EUR");
        assertEquals("13.50 EUR", tea.times(3).toString());
        assertEquals("5.25 EUR", tea.plus(Money.parse("0.75", "EUR")).toString());
        assertEquals("-0.05 EUR", Money.ofCents(-5, "EUR").toString());
    }

    @Test
    public void percentRoundsHalfUp() {
        assertEquals(45, Money.ofCents(450, "EUR").percent(10).cents());
        assertEquals(1, Money.ofCents(5, "EUR").percent(10).cents());
        assertEquals(0, Money.ofCents(4, "EUR").percent(10).cents());
    }

    @Test
    public void comparesWithinACurrency() {
        assertTrue(Money.ofCents(1, "USD").compareTo(Money.ofCents(2, "USD")) < 0);
    }

    @Test(expected = IllegalArgumentException.class)
    public void refusesToMixCurrencies() {
        Money.ofCents(1, "USD").plus(Money.ofCents(1, "EUR"));
    }

    @Test(expected = IllegalArgumentException.class)
    public void rejectsMalformedAmounts() {
        Money.parse("1.234", "EUR");
    }
}
