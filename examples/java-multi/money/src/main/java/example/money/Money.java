package example.money;

import java.util.Objects;

/** An amount of one currency in minor units (cents), immutable. */
public final class Money implements Comparable<Money> {
    private final long cents;
    private final String currency;

    private Money(long cents, String currency) {
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency must be a 3-letter ISO code, got " + currency);
        }
        this.cents = cents;
        this.currency = currency;
    }

    public static Money ofCents(long cents, String currency) {
        return new Money(cents, currency);
    }

    /** Parses "12.34" (at most two decimals) in the given currency. */
    public static Money parse(String amount, String currency) {
        if (!amount.matches("-?\\d+(\\.\\d{1,2})?")) {
            throw new IllegalArgumentException("not an amount: '" + amount + "'");
        }
        boolean negative = amount.startsWith("-");
        String digits = negative ? amount.substring(1) : amount;
        String[] parts = digits.split("\\.");
        long units = Long.parseLong(parts[0]);
        long fraction = parts.length == 1 ? 0 : Long.parseLong((parts[1] + "0").substring(0, 2));
        long cents = units * 100 + fraction;
        return new Money(negative ? -cents : cents, currency);
    }

    public long cents() { return cents; }
    public String currency() { return currency; }

    public Money plus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.addExact(cents, other.cents), currency);
    }

    public Money minus(Money other) {
        requireSameCurrency(other);
        return new Money(Math.subtractExact(cents, other.cents), currency);
    }

    public Money times(int quantity) {
        return new Money(Math.multiplyExact(cents, (long) quantity), currency);
    }

    /** This amount scaled by percent/100, rounded half up to the cent. */
    public Money percent(int percent) {
        long scaled = cents * percent;
        long rounded = Math.floorDiv(scaled + 50, 100);
        return new Money(rounded, currency);
    }

    private void requireSameCurrency(Money other) {
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException("cannot mix " + currency + " and " + other.currency);
        }
    }

    @Override
    public int compareTo(Money other) {
        requireSameCurrency(other);
        return Long.compare(cents, other.cents);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Money)) return false;
        Money m = (Money) o;
        return cents == m.cents && currency.equals(m.currency);
    }

    @Override
    public int hashCode() { return Objects.hash(cents, currency); }

    @Override
    public String toString() {
        long abs = Math.abs(cents);
        return (cents < 0 ? "-" : "") + (abs / 100) + "." + String.format("%02d", abs % 100) + " " + currency;
    }
}
