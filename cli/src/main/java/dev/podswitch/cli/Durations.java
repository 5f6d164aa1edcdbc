package dev.podswitch.cli;

import java.time.Duration;

/** Durations on the command line as people write them: {@code 30s}, {@code 10m}, {@code 24h}, {@code 500ms}, or seconds. */
final class Durations
{
    private Durations()
    {
    }

    static Duration parse(final String flag, final String text)
    {
        final String trimmed = text.strip();
        try
        {
            if (trimmed.endsWith("ms"))
            {
                return Duration.ofMillis(Long.parseLong(trimmed.substring(0, trimmed.length() - 2)));
            }
            final long amount = Long.parseLong(trimmed.replaceAll("[smhd]$", ""));
            if (amount <= 0)
            {
                throw new IllegalArgumentException(flag + " must be positive, got " + text);
            }
            return switch (trimmed.charAt(trimmed.length() - 1))
            {
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> Duration.ofSeconds(amount);
            };
        }
        catch (final NumberFormatException | StringIndexOutOfBoundsException notADuration)
        {
            throw new IllegalArgumentException(flag + " takes a duration like 30s, 10m or 24h, got \"" + text + "\"");
        }
    }
}
