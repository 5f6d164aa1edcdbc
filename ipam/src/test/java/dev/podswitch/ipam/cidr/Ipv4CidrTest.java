package dev.podswitch.ipam.cidr;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4CidrTest
{
    @Test
    void shouldComputeHostsWhenNetworkIsSlash24()
    {
        final Ipv4Cidr cidr = Ipv4Cidr.parse("10.244.0.0/24");

        assertEquals("10.244.0.0/24", cidr.toString());
        assertEquals(Ipv4.parse("10.244.0.0"), cidr.network());
        assertEquals(24, cidr.prefixLength());
        assertEquals(256, cidr.size());
        assertEquals("10.244.0.1", Ipv4.format(cidr.firstHost()));
        assertEquals("10.244.0.254", Ipv4.format(cidr.lastHost()));
        assertEquals("10.244.0.255", Ipv4.format(cidr.broadcast()));
        assertEquals("255.255.255.0", Ipv4.format(cidr.netmask()));
    }

    @Test
    void shouldHandleExtremesWhenPrefixIs0Or31Or32()
    {
        final Ipv4Cidr all = Ipv4Cidr.parse("0.0.0.0/0");
        assertEquals(1L << 32, all.size());
        assertEquals(0, all.netmask());
        assertEquals("255.255.255.255", Ipv4.format(all.broadcast()));
        assertTrue(all.contains(Ipv4.parse("200.1.2.3")));

        final Ipv4Cidr pointToPoint = Ipv4Cidr.parse("10.0.0.2/31");
        assertEquals("10.0.0.2", Ipv4.format(pointToPoint.firstHost()));
        assertEquals("10.0.0.3", Ipv4.format(pointToPoint.lastHost()));

        final Ipv4Cidr host = Ipv4Cidr.parse("10.0.0.7/32");
        assertEquals(1, host.size());
        assertEquals(host.network(), host.firstHost());
        assertEquals(host.network(), host.lastHost());
        assertEquals(-1, host.netmask());
    }

    @Test
    void shouldTreatAddressesAsUnsignedWhenAboveTwoToThe31()
    {
        final Ipv4Cidr cidr = Ipv4Cidr.parse("192.168.0.0/16");

        assertTrue(cidr.contains(Ipv4.parse("192.168.255.255")));
        assertFalse(cidr.contains(Ipv4.parse("192.169.0.0")));
        assertEquals("192.168.255.0/24", cidr.subnet(24, 255).toString());
        assertEquals(255, cidr.subnetIndex(Ipv4Cidr.parse("192.168.255.0/24")));
    }

    @Test
    void shouldContainSubnetWhenInsideAndNotWhenLargerOrOutside()
    {
        final Ipv4Cidr cluster = Ipv4Cidr.parse("10.244.0.0/16");

        assertTrue(cluster.contains(Ipv4Cidr.parse("10.244.7.0/24")));
        assertTrue(cluster.contains(cluster));
        assertFalse(cluster.contains(Ipv4Cidr.parse("10.0.0.0/8")));
        assertFalse(cluster.contains(Ipv4Cidr.parse("10.245.0.0/24")));
    }

    @Test
    void shouldSplitIntoSubnetsWhenIndexIsInRange()
    {
        final Ipv4Cidr cluster = Ipv4Cidr.parse("10.244.0.0/16");

        assertEquals(256, cluster.subnetCount(24));
        assertEquals("10.244.0.0/24", cluster.subnet(24, 0).toString());
        assertEquals("10.244.1.0/24", cluster.subnet(24, 1).toString());
        assertEquals("10.244.2.128/25", cluster.subnet(25, 5).toString());
        assertEquals(cluster, cluster.subnet(16, 0));
    }

    @Test
    void shouldRejectSubnetWhenIndexOrPrefixIsOutOfRange()
    {
        final Ipv4Cidr cluster = Ipv4Cidr.parse("10.244.0.0/16");

        assertEquals("subnet index 256 out of range 0-255: 10.244.0.0/16 has 256 /24 subnets",
            assertThrows(IllegalArgumentException.class, () -> cluster.subnet(24, 256)).getMessage());
        assertEquals("subnet prefix length 8 out of range 16-32 for 10.244.0.0/16",
            assertThrows(IllegalArgumentException.class, () -> cluster.subnet(8, 0)).getMessage());
    }

    @Test
    void shouldAgreeWithNaiveArithmeticWhenInputsAreRandom()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 5_000; i++)
        {
            final int prefixLength = random.nextInt(33);
            final int newPrefixLength = prefixLength + random.nextInt(33 - prefixLength);
            final long naiveMask = prefixLength == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefixLength)) & 0xFFFF_FFFFL;
            final long network = random.nextLong(1L << 32) & naiveMask;
            final Ipv4Cidr cidr = new Ipv4Cidr((int)network, prefixLength);
            final long index = random.nextLong(1L << (newPrefixLength - prefixLength));

            final Ipv4Cidr subnet = cidr.subnet(newPrefixLength, index);

            assertEquals(network + index * (1L << (32 - newPrefixLength)), Integer.toUnsignedLong(subnet.network()));
            assertEquals(index, cidr.subnetIndex(subnet));
            assertTrue(cidr.contains(subnet));
            assertEquals(network + (1L << (32 - prefixLength)) - 1, Integer.toUnsignedLong(cidr.broadcast()));
            assertEquals(cidr, Ipv4Cidr.parse(cidr.toString()));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "10.0.0.0/33    | invalid CIDR '10.0.0.0/33': prefix length 33 out of range 0-32",
        "10.0.0.1/24    | host bits set: 10.0.0.1/24 is not a network address, did you mean 10.0.0.0/24?",
        "10.244.3.7/16  | host bits set: 10.244.3.7/16 is not a network address, did you mean 10.244.0.0/16?",
        "300.1.1.1/32   | invalid CIDR '300.1.1.1/32': invalid IPv4 address '300.1.1.1': octet 300 out of range 0-255",
        "300.1.1.1      | invalid CIDR '300.1.1.1': missing prefix length, expected an address and a prefix length like 10.244.0.0/16",
        "10.0.0.0       | invalid CIDR '10.0.0.0': missing prefix length, expected an address and a prefix length like 10.244.0.0/16",
        "10.0.0.0/      | invalid CIDR '10.0.0.0/': missing prefix length after '/'",
        "10.0.0.0/-1    | invalid CIDR '10.0.0.0/-1': prefix length '-1' is not a number 0-32",
        "10.0.0.0/abc   | invalid CIDR '10.0.0.0/abc': prefix length 'abc' is not a number 0-32",
        "garbage/8      | invalid CIDR 'garbage/8': invalid IPv4 address 'garbage': octet 'garbage' is not a number 0-255",
        "/8             | invalid CIDR '/8': invalid IPv4 address '': empty string",
        "\"\"           | invalid CIDR '': empty string, expected an address and a prefix length like 10.244.0.0/16",
    })
    void shouldExplainWhenCidrIsInvalid(final String text, final String message)
    {
        assertEquals(message, assertThrows(CidrFormatException.class, () -> Ipv4Cidr.parse(text)).getMessage());
    }

    @Test
    void shouldRejectHostBitsWhenConstructedDirectly()
    {
        assertEquals("host bits set: 10.0.0.1/24 is not a network address, did you mean 10.0.0.0/24?",
            assertThrows(CidrFormatException.class, () -> new Ipv4Cidr(Ipv4.parse("10.0.0.1"), 24)).getMessage());
        assertEquals("prefix length 40 out of range 0-32",
            assertThrows(CidrFormatException.class, () -> new Ipv4Cidr(0, 40)).getMessage());
    }
}
