package dev.podswitch.ipam.cidr;

import inet.ipaddr.IPAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one parser of address text, IPv4 and IPv6, strict and legacy; {@link IpTextDifferentialTest} fuzzes it. */
class IpTextTest
{
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.244.0.10          | 10.244.0.10",
        "0.0.0.0              | 0.0.0.0",
        "255.255.255.255      | 255.255.255.255",
        "2001:db8::1          | 2001:db8::1",
        "2001:0db8:0000::0001 | 2001:db8::1",
        "::                   | ::",
        "::1                  | ::1",
        "FD00::A              | fd00::a",
        "1:2:3:4:5:6:7:8      | 1:2:3:4:5:6:7:8",
        "::ffff:10.0.0.1      | ::ffff:a00:1",
    })
    void shouldParseAnAddressWhenItIsWrittenTheStandardWay(final String text, final String canonical)
    {
        final IPAddress address = IpText.address(text);

        assertEquals(canonical, address.toCanonicalString());
        assertFalse(address.isPrefixed());
        assertEquals(text.indexOf(':') >= 0, address.isIPv6());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // inet_aton forms, which IPAddress takes by default and Go (and podswitch) do not
        "1.2.3          | invalid IPv4 address '1.2.3': expected four octets, found 3",
        "10             | invalid IPv4 address '10': expected four octets, found 1",
        "167772161      | invalid IPv4 address '167772161': octet '167772161' is not a number 0-255",
        "0x0a.0.0.1     | invalid IPv4 address '0x0a.0.0.1': octet '0x0a' is not a number 0-255",
        "012.0.0.1      | invalid IPv4 address '012.0.0.1': octet '012' has a leading zero",
        "0b1.2.3.4      | invalid IPv4 address '0b1.2.3.4': octet '0b1' is not a number 0-255",
        // ranges, wildcards, masks, prefixes and spaces
        "1.2.3.*        | invalid IPv4 address '1.2.3.*': octet '*' is not a number 0-255",
        "1.2.3.4-5      | invalid IPv4 address '1.2.3.4-5': octet '4-5' is not a number 0-255",
        "*              | invalid IPv4 address '*': octet '*' is not a number 0-255",
        "10.0.0.1/24    | invalid IPv4 address '10.0.0.1/24': octet '1/24' is not a number 0-255",
        "\" 10.0.0.1\"  | invalid IPv4 address ' 10.0.0.1': octet ' 10' is not a number 0-255",
        "\"10.0.0.1 \"  | invalid IPv4 address '10.0.0.1 ': octet '1 ' is not a number 0-255",
        "\"\"           | invalid IPv4 address '': empty string",
        "256.0.0.1      | invalid IPv4 address '256.0.0.1': octet 256 out of range 0-255",
    })
    void shouldRefuseAnIpv4AddressWhenItIsNotFourPlainOctets(final String text, final String message)
    {
        assertEquals(message, assertThrows(CidrFormatException.class, () -> IpText.address(text)).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "2001:00db8::1", "fe80::1%eth0", "[::1]", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "::ffff:010.0.0.1",
        "2001:db8::g", "2001:db8::1/64", "::1 ", "1::2::3", "2001:db8::*", ":1"
    })
    void shouldRefuseAnIpv6AddressWhenItIsNotRfc4291Text(final String text)
    {
        final CidrFormatException ex = assertThrows(CidrFormatException.class, () -> IpText.address(text));

        assertTrue(ex.getMessage().startsWith("invalid IPv6 address '" + text + "': "), ex.getMessage());
        assertFalse(ex.reason().isBlank(), ex.getMessage());
    }

    @Test
    void shouldKeepHostBitsAsWrittenWhenReadingACidr()
    {
        final IPAddress v4 = IpText.cidr("10.0.0.1/24");
        final IPAddress v6 = IpText.cidr("2001:db8::1/64");

        assertEquals("10.0.0.1", v4.getLower().withoutPrefixLength().toCanonicalString());
        assertEquals(24, v4.getNetworkPrefixLength());
        assertFalse(IpText.isNetwork(v4));
        assertEquals("10.0.0.0/24", IpText.networkOf(v4).toCanonicalString());
        assertFalse(IpText.isNetwork(v6));
        assertEquals("2001:db8::/64", IpText.networkOf(v6).toCanonicalString());
        assertTrue(IpText.isNetwork(IpText.cidr("10.0.0.0/24")));
        assertTrue(IpText.isNetwork(IpText.cidr("2001:db8::/64")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0.0.0.0/0          | 0.0.0.0/0",
        "10.0.0.0/8         | 10.0.0.0/8",
        "10.0.0.7/32        | 10.0.0.7/32",
        "::/0               | ::/0",
        "2001:db8::/32      | 2001:db8::/32",
        "2001:0db8:0::/48   | 2001:db8::/48",
        "2001:db8::1/128    | 2001:db8::1/128",
        "::ffff:10.0.0.0/104 | ::ffff:a00:0/104",
    })
    void shouldReadANetworkWhenThePrefixLengthIsInRange(final String text, final String canonical)
    {
        assertEquals(canonical, IpText.network(text).toCanonicalString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "10.0.0.1/24      | host bits set: 10.0.0.1/24 is not a network address, did you mean 10.0.0.0/24?",
        "2001:db8::1/64   | host bits set: 2001:db8::1/64 is not a network address, did you mean 2001:db8::/64?",
        "10.0.0.0/33      | invalid CIDR '10.0.0.0/33': prefix length 33 out of range 0-32",
        "2001:db8::/129   | invalid CIDR '2001:db8::/129': prefix length 129 out of range 0-128",
        "10.0.0.0/08      | invalid CIDR '10.0.0.0/08': prefix length '08' has a leading zero",
        "2001:db8::/064   | invalid CIDR '2001:db8::/064': prefix length '064' has a leading zero",
        "10.0.0.0/+8      | invalid CIDR '10.0.0.0/+8': prefix length '+8' is not a number 0-32",
        "2001:db8::/1000  | invalid CIDR '2001:db8::/1000': prefix length '1000' is not a number 0-128",
        "10.0.0.0/255.0.0.0 | invalid CIDR '10.0.0.0/255.0.0.0': prefix length '255.0.0.0' is not a number 0-32",
        "10.0.0.0/8/8     | invalid CIDR '10.0.0.0/8/8': prefix length '8/8' is not a number 0-32",
        "10.0/8           | invalid CIDR '10.0/8': invalid IPv4 address '10.0': expected four octets, found 2",
        "010.0.0.0/8      | invalid CIDR '010.0.0.0/8': invalid IPv4 address '010.0.0.0': octet '010' has a leading zero",
        "2001:db8::       | invalid CIDR '2001:db8::': missing prefix length, expected an address and a prefix length like 10.244.0.0/16",
        "/8               | invalid CIDR '/8': invalid IPv4 address '': empty string",
        "\"10.0.0.0/8 \"  | invalid CIDR '10.0.0.0/8 ': prefix length '8 ' is not a number 0-32",
    })
    void shouldExplainWhenANetworkIsNotWrittenStrictly(final String text, final String message)
    {
        assertEquals(message, assertThrows(CidrFormatException.class, () -> IpText.network(text)).getMessage());
    }

    @Test
    void shouldNameTheIpv6PartWhenAnIpv6CidrHasABadAddress()
    {
        final CidrFormatException ex = assertThrows(CidrFormatException.class, () -> IpText.network("2001:db8:::/64"));

        assertTrue(ex.getMessage().startsWith("invalid CIDR '2001:db8:::/64': invalid IPv6 address '2001:db8:::': "),
            ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/8                | 10.0.0.0/8",
        "010.000.0.0/08            | 10.0.0.0/8",
        "0000000010.0.0.1/00000032 | 10.0.0.1/32",
        "192.168.5.10/24           | 192.168.5.10/24",
        "10.0.0.1                  | 10.0.0.1",
        "2001:0db8::/064           | 2001:db8::/64",
        "2001:00db8::/64           | 2001:db8::/64",
        "::ffff:010.0.0.0/104      | ::ffff:a00:0/104",
    })
    void shouldReadLeadingZerosAsDecimalWhenTheRulesAreTheApiServersLegacyOnes(final String text, final String read)
    {
        final IPAddress legacy = IpText.legacy(text);

        assertNotNull(legacy, text);
        final String written = legacy.getLower().withoutPrefixLength().toCanonicalString();
        assertEquals(read, legacy.isPrefixed() ? written + "/" + legacy.getNetworkPrefixLength() : written);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "10.0/8", "10.0.0/8", "0x0a.0.0.0/8", "10.0.0.0/255.0.0.0", "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/33",
        "10.0.0.0/", "/8", "10.0.0.256/32", "a.b.c.d/8", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0.*/24", "1.2.3.4-5/32",
        "2001:db8::/129", "fe80::1%eth0/64", "2001:db8::g/64"
    })
    void shouldRefuseWhatTheApiServerRefusesWhenTheRulesAreLegacy(final String text)
    {
        assertNull(IpText.legacy(text), text);
    }

    @Test
    void shouldContainOnlyLongerPrefixesInsideWhenAskedForAStrictSubset()
    {
        final IPAddress v4 = IpText.network("10.1.0.0/16");
        final IPAddress v6 = IpText.network("2001:db8::/32");

        assertTrue(IpText.isStrictSubset(IpText.network("10.1.2.0/24"), v4));
        assertTrue(IpText.isStrictSubset(IpText.network("10.1.255.255/32"), v4));
        assertTrue(IpText.isStrictSubset(IpText.cidr("10.1.2.3/24"), v4));
        assertFalse(IpText.isStrictSubset(v4, v4));
        assertFalse(IpText.isStrictSubset(IpText.network("10.0.0.0/8"), v4));
        assertFalse(IpText.isStrictSubset(IpText.network("10.2.0.0/24"), v4));
        assertTrue(IpText.isStrictSubset(IpText.network("2001:db8:1::/48"), v6));
        assertFalse(IpText.isStrictSubset(v6, v6));
        assertFalse(IpText.isStrictSubset(IpText.network("2001:db9::/48"), v6));
        assertFalse(IpText.isStrictSubset(IpText.network("::ffff:10.1.2.0/120"), v4));
        assertFalse(IpText.isStrictSubset(IpText.network("10.1.2.0/24"), IpText.network("::/0")));
    }

    @Test
    void shouldContainAddressesWhenInsideTheNetwork()
    {
        assertTrue(IpText.network("10.244.0.0/16").contains(IpText.address("10.244.255.255")));
        assertFalse(IpText.network("10.244.0.0/16").contains(IpText.address("10.245.0.0")));
        assertTrue(IpText.network("fd00::/8").contains(IpText.address("fdff::1")));
        assertFalse(IpText.network("fd00::/8").contains(IpText.address("fe00::1")));
        assertTrue(IpText.network("0.0.0.0/0").contains(IpText.address("255.255.255.255")));
    }

    @Test
    void shouldConvertToTheIntFormsWhenIpv4AndRefuseWhenIpv6()
    {
        assertEquals(0x0AF4000A, Ipv4.parse("10.244.0.10"));
        assertEquals(new Ipv4Cidr(0x0AF40000, 16), Ipv4Cidr.parse("10.244.0.0/16"));
        assertEquals(new Ipv4Cidr(0x0AF40000, 16), Ipv4Cidr.of(IpText.cidr("10.244.1.0/16")));
        assertEquals("invalid IPv4 address 'fd00::1': an IPv6 address, where podswitch takes IPv4 only",
            assertThrows(CidrFormatException.class, () -> Ipv4.parse("fd00::1")).getMessage());
        assertEquals("invalid CIDR 'fd00::/8': an IPv6 network, where podswitch takes IPv4 only",
            assertThrows(CidrFormatException.class, () -> Ipv4Cidr.parse("fd00::/8")).getMessage());
    }

    /** Found by ControlApiFuzzTest: IPAddress overflowed on a long prefix length and threw instead of refusing. */
    @Test
    void shouldRefuseAPrefixLengthOfAnyNumberOfDigitsWithoutThrowingAnythingElse()
    {
        for (int digits = 1; digits <= 40; digits++)
        {
            for (final char digit : new char[] {'0', '1', '4', '9'})
            {
                final String prefix = String.valueOf(digit).repeat(digits);
                for (final String text : new String[] {"1.2.3.4/" + prefix, "fd00::/" + prefix, "10.0.0.0/" + prefix})
                {
                    IpText.legacy(text);
                    try
                    {
                        IpText.cidr(text);
                    }
                    catch (final CidrFormatException refused)
                    {
                        // Refused with a reason: what a bad CIDR should get.
                    }
                    try
                    {
                        IpText.network(text);
                    }
                    catch (final CidrFormatException refused)
                    {
                        // As above.
                    }
                }
            }
        }
        org.junit.jupiter.api.Assertions.assertNull(IpText.legacy("1.2.3.4/99999999999"));
    }
}
