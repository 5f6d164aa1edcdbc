package dev.podswitch.ipam.cidr;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Ipv4Test
{
    @Test
    void shouldParseAndFormatWhenAddressIsValid()
    {
        assertEquals(0x0AF40001, Ipv4.parse("10.244.0.1"));
        assertEquals(0, Ipv4.parse("0.0.0.0"));
        assertEquals(-1, Ipv4.parse("255.255.255.255"));
        assertEquals("255.255.255.255", Ipv4.format(-1));
        assertEquals("192.168.1.200", Ipv4.format(Ipv4.parse("192.168.1.200")));
    }

    @Test
    void shouldRoundTripWhenAddressIsRandom()
    {
        final Random random = new Random(42);
        for (int i = 0; i < 10_000; i++)
        {
            final int address = random.nextInt();
            final String text = (address >>> 24) + "." + ((address >> 16) & 255) + "." + ((address >> 8) & 255) +
                "." + (address & 255);
            assertEquals(text, Ipv4.format(address));
            assertEquals(address, Ipv4.parse(text));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "300.1.1.1        | invalid IPv4 address '300.1.1.1': octet 300 out of range 0-255",
        "\"\"             | invalid IPv4 address '': empty string",
        "1.2.3            | invalid IPv4 address '1.2.3': expected four octets, found 3",
        "1.2.3.4.5        | invalid IPv4 address '1.2.3.4.5': more than four octets",
        "1..3.4           | invalid IPv4 address '1..3.4': empty octet",
        "1.2.3.           | invalid IPv4 address '1.2.3.': empty octet",
        "a.b.c.d          | invalid IPv4 address 'a.b.c.d': octet 'a' is not a number 0-255",
        "10.0.0.-1        | invalid IPv4 address '10.0.0.-1': octet '-1' is not a number 0-255",
        "10.0.0.1000      | invalid IPv4 address '10.0.0.1000': octet '1000' is not a number 0-255",
        "10.0.0.010       | invalid IPv4 address '10.0.0.010': octet '010' has a leading zero",
        "garbage          | invalid IPv4 address 'garbage': octet 'garbage' is not a number 0-255",
    })
    void shouldExplainWhenAddressIsInvalid(final String text, final String message)
    {
        assertEquals(message, assertThrows(CidrFormatException.class, () -> Ipv4.parse(text)).getMessage());
    }
}
