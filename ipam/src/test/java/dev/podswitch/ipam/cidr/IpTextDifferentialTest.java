package dev.podswitch.ipam.cidr;

import inet.ipaddr.IPAddress;
import inet.ipaddr.ipv6.IPv6Address;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IpText} against naive oracles kept here: the dotted-quad rules podswitch's own parsers had, and Go
 * 1.16's parseIPv4/ParseCIDR as the API server's ParseCIDRSloppy still runs them. IPv4-shaped text is built
 * from pieces near every rule's edge; IPv6 round-trips random addresses through every way of writing them.
 */
class IpTextDifferentialTest
{
    private static final String[] OCTETS =
        {"0", "00", "000", "1", "01", "001", "10", "99", "255", "0255", "256", "999", "1000", "", "a", "0x1", "-1", " 1"};
    private static final String[] PREFIXES = {"0", "00", "8", "08", "008", "32", "032", "33", "", "+8", "-1", "8 ", "x"};
    /** The reasons IpText gives itself for IPv4 text; anything else would mean it fell back to the library's. */
    private static final Pattern OWN_REASON = Pattern.compile(
        "(empty string.*|empty octet|more than four octets|expected four octets, found \\d+|octet .*|" +
        "missing prefix length.*|prefix length .*|invalid IPv4 address .*)");

    @Test
    void shouldAgreeWithTheOldDottedQuadRulesWhenTextIsIpv4Shaped()
    {
        final Random random = new Random(11);
        for (int i = 0; i < 20_000; i++)
        {
            final String address = ipv4Shaped(random);
            final String cidr = address + (random.nextInt(8) == 0 ? "" : "/" + pick(random, PREFIXES));

            assertEquals(strictAddress(address), accepts(() -> IpText.address(address)), address);
            assertEquals(strictAddress(address) && cidr.indexOf('/') >= 0 && strictPrefix(cidr),
                accepts(() -> IpText.cidr(cidr)), cidr);
            assertEquals(sloppyCidr(cidr), IpText.legacy(cidr) != null && IpText.legacy(cidr).isPrefixed(), cidr);
        }
    }

    @Test
    void shouldSayWhyInItsOwnWordsWhenIpv4TextIsRefused()
    {
        final Random random = new Random(12);
        for (int i = 0; i < 5_000; i++)
        {
            final String address = ipv4Shaped(random);
            final String cidr = address + "/" + pick(random, PREFIXES);
            try
            {
                IpText.network(cidr);
            }
            catch (final CidrFormatException ex)
            {
                assertTrue(ex.getMessage().startsWith("host bits set: ") || OWN_REASON.matcher(ex.reason()).matches(),
                    ex.getMessage());
            }
        }
    }

    @Test
    void shouldReadTheSameAddressWhenIpv6IsWrittenAnyStandardWay()
    {
        final Random random = new Random(13);
        for (int i = 0; i < 5_000; i++)
        {
            final byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            // Runs of zero groups, so that "::" has something to stand for.
            final int zeros = random.nextInt(8);
            final int from = random.nextInt(8 - zeros + 1);
            Arrays.fill(bytes, from * 2, (from + zeros) * 2, (byte)0);
            final IPv6Address expected = new IPv6Address(bytes);

            for (final String text : new String[] {expected.toCanonicalString(), expected.toFullString(),
                expected.toNormalizedString(), expected.toMixedString(), expected.toCompressedString().toUpperCase()})
            {
                assertEquals(expected, IpText.address(text), text);
                assertEquals(expected, IpText.legacy(text), text);
            }
            final int prefixLength = random.nextInt(129);
            final IPAddress network = expected.setPrefixLength(prefixLength, true).toPrefixBlock();
            assertEquals(network, IpText.network(network.toCanonicalString()), network.toCanonicalString());
            assertNotNull(IpText.legacy(expected.toCanonicalString() + "/" + prefixLength));
        }
    }

    private static String ipv4Shaped(final Random random)
    {
        final int count = 2 + random.nextInt(4);
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            text.append(i == 0 ? "" : ".").append(pick(random, OCTETS));
        }
        return text.toString();
    }

    private static String pick(final Random random, final String[] values)
    {
        return values[random.nextInt(values.length)];
    }

    private static boolean accepts(final Runnable parse)
    {
        try
        {
            parse.run();
            return true;
        }
        catch (final CidrFormatException ex)
        {
            return false;
        }
    }

    private static boolean strictAddress(final String text)
    {
        final String[] octets = text.split("\\.", -1);
        if (octets.length != 4)
        {
            return false;
        }
        for (final String octet : octets)
        {
            if (!octet.matches("[0-9]{1,3}") || octet.length() > 1 && octet.charAt(0) == '0' ||
                Integer.parseInt(octet) > 255)
            {
                return false;
            }
        }
        return true;
    }

    private static boolean strictPrefix(final String cidr)
    {
        final String prefix = cidr.substring(cidr.indexOf('/') + 1);
        return prefix.matches("0|[1-9][0-9]?") && Integer.parseInt(prefix) <= 32;
    }

    /** Go 1.16 ParseCIDR: dtoi reads any number of decimal digits, leading zeros included. */
    private static boolean sloppyCidr(final String cidr)
    {
        final int slash = cidr.indexOf('/');
        if (slash < 0)
        {
            return false;
        }
        final String[] octets = cidr.substring(0, slash).split("\\.", -1);
        if (octets.length != 4)
        {
            return false;
        }
        for (final String octet : octets)
        {
            if (!octet.matches("[0-9]+") || Integer.parseInt(octet) > 255)
            {
                return false;
            }
        }
        final String prefix = cidr.substring(slash + 1);
        return prefix.matches("[0-9]+") && Integer.parseInt(prefix) <= 32;
    }
}
