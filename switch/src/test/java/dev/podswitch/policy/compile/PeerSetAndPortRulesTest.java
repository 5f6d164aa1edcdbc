package dev.podswitch.policy.compile;

import dev.podswitch.dataplane.classify.PeerSet;
import dev.podswitch.dataplane.classify.PeerSetBuilder;
import dev.podswitch.dataplane.classify.PortRules;
import dev.podswitch.dataplane.classify.PortRulesBuilder;
import dev.podswitch.ipam.cidr.Ipv4;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compiled classifier's building blocks: address ranges, identity sets and port segments. */
class PeerSetAndPortRulesTest
{
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;
    private static final int WORLD = 0;

    private static long u(final String dotted)
    {
        return Ipv4.parse(dotted) & 0xFFFF_FFFFL;
    }

    private static int ip(final String dotted)
    {
        return Ipv4.parse(dotted);
    }

    @Nested
    class PeerSets
    {
        @Test
        void shouldBuildNoneAndAnyConstants()
        {
            assertSame(PeerSet.NONE, new PeerSetBuilder().build());
            assertTrue(PeerSet.NONE.isEmpty());
            assertSame(PeerSet.ANY, new PeerSetBuilder().identity(3).any().build());
            assertTrue(PeerSet.ANY.contains(WORLD, 0));
            assertTrue(PeerSet.ANY.contains(WORLD, -1));
            assertFalse(PeerSet.NONE.contains(1, ip("10.0.0.1")));
        }

        @Test
        void shouldMergeOverlappingAndAdjacentRangesInclusively()
        {
            final PeerSet set = new PeerSetBuilder()
                .range(u("10.0.0.10"), u("10.0.0.20"))
                .range(u("10.0.0.15"), u("10.0.0.30"))   // overlaps
                .range(u("10.0.0.31"), u("10.0.0.40"))   // adjacent
                .range(u("10.0.0.50"), u("10.0.0.50"))   // single, with a gap
                .range(u("10.0.0.12"), u("10.0.0.13"))   // nested
                .build();
            assertFalse(set.contains(WORLD, ip("10.0.0.9")));
            for (int last = 10; last <= 40; last++)
            {
                assertTrue(set.contains(WORLD, ip("10.0.0." + last)), "10.0.0." + last);
            }
            assertFalse(set.contains(WORLD, ip("10.0.0.41")));
            assertFalse(set.contains(WORLD, ip("10.0.0.49")));
            assertTrue(set.contains(WORLD, ip("10.0.0.50")));
            assertFalse(set.contains(WORLD, ip("10.0.0.51")));
        }

        @Test
        void shouldOrderAddressesAboveAndBelow128Unsigned()
        {
            final PeerSet set = new PeerSetBuilder()
                .range(u("200.0.0.0"), u("200.0.0.255"))
                .range(u("10.0.0.0"), u("10.0.0.255"))
                .range(u("127.255.255.255"), u("128.0.0.0"))
                .range(u("255.255.255.255"), u("255.255.255.255"))
                .range(u("0.0.0.0"), u("0.0.0.0"))
                .build();
            assertTrue(set.contains(WORLD, ip("200.0.0.0")));
            assertTrue(set.contains(WORLD, ip("200.0.0.255")));
            assertFalse(set.contains(WORLD, ip("200.0.1.0")));
            assertFalse(set.contains(WORLD, ip("199.255.255.255")));
            assertTrue(set.contains(WORLD, ip("10.0.0.7")));
            assertTrue(set.contains(WORLD, ip("127.255.255.255")));
            assertTrue(set.contains(WORLD, ip("128.0.0.0")));
            assertFalse(set.contains(WORLD, ip("128.0.0.1")));
            assertFalse(set.contains(WORLD, ip("127.255.255.254")));
            assertTrue(set.contains(WORLD, ip("255.255.255.255")));
            assertFalse(set.contains(WORLD, ip("255.255.255.254")));
            assertTrue(set.contains(WORLD, ip("0.0.0.0")));
            assertFalse(set.contains(WORLD, ip("0.0.0.1")));
        }

        @Test
        void shouldHoldTheWholeAddressSpaceAsOneRange()
        {
            final PeerSet set = new PeerSetBuilder().range(0, 0xFFFF_FFFFL).build();
            for (final String address : List.of("0.0.0.0", "127.255.255.255", "128.0.0.0", "255.255.255.255"))
            {
                assertTrue(set.contains(WORLD, ip(address)), address);
            }
            assertFalse(set.isAny(), "an address range is not the any-peer (that one also takes no address)");
        }

        @Test
        void shouldMatchIdentitiesByBitNeverTheWorld()
        {
            final BitSet ids = new BitSet();
            ids.set(1);
            ids.set(63);
            ids.set(64);
            ids.set(200);
            final PeerSet set = new PeerSetBuilder().identities(ids).build();
            for (final int id : new int[] {1, 63, 64, 200})
            {
                assertTrue(set.contains(id, 0), "identity " + id);
            }
            for (final int id : new int[] {0, 2, 62, 65, 128, 199, 201, 256, 1 << 20})
            {
                assertFalse(set.contains(id, 0), "identity " + id);
            }
            final BitSet withWorld = new BitSet();
            withWorld.set(0);
            assertFalse(new PeerSetBuilder().identities(withWorld).build().contains(WORLD, 5),
                "identity 0 (world) only ever matches through address ranges");
        }

        @Test
        void shouldAgreeWithAnOracleOnRandomRanges()
        {
            final SplittableRandom random = new SplittableRandom(0x5E7_5E7L);
            for (int round = 0; round < 300; round++)
            {
                final PeerSetBuilder builder = new PeerSetBuilder();
                final List<long[]> ranges = new ArrayList<>();
                final long base = random.nextBoolean() ? 0x7FFF_FF00L : random.nextLong(0, 0xFFFF_FF00L);
                for (int i = random.nextInt(0, 6); i > 0; i--)
                {
                    final long first = base + random.nextInt(0, 256);
                    final long last = Math.min(0xFFFF_FFFFL, first + random.nextInt(0, 20));
                    builder.range(first, last);
                    ranges.add(new long[] {first, last});
                }
                final PeerSet set = builder.build();
                for (long address = Math.max(0, base - 2); address < Math.min(0x1_0000_0000L, base + 280); address++)
                {
                    boolean expected = false;
                    for (final long[] range : ranges)
                    {
                        expected |= address >= range[0] && address <= range[1];
                    }
                    assertEquals(expected, set.contains(WORLD, (int)address), "round " + round + " address " + address);
                }
            }
        }
    }

    @Nested
    class Patching
    {
        private static long[] selectors(final int... ids)
        {
            final BitSet bits = new BitSet();
            for (final int id : ids)
            {
                bits.set(id);
            }
            return bits.toLongArray();
        }

        @Test
        void shouldKeepASelectorThatMatchesNoIdentityYet()
        {
            final PeerSet set = new PeerSetBuilder().selector(7, new BitSet()).build();
            assertFalse(set.isEmpty(), "an identity matching selector 7 may appear later");
            assertFalse(set.contains(5, 0));
            final PortRules rules = new PortRulesBuilder().ports(TCP, 80, 80, new PeerSetBuilder().selector(7, new BitSet()))
                .build();
            final PortRules patched = rules.withIdentities(new int[] {5}, new long[][] {selectors(7)});
            assertFalse(rules.allows(TCP, 80, 5, 0), "the published rules never change");
            assertTrue(patched.allows(TCP, 80, 5, 0));
            assertFalse(patched.allows(TCP, 81, 5, 0));
        }

        @Test
        void shouldSetAndClearAnIdentityByItsSelectorsAndShareWhatDoesNotChange()
        {
            final BitSet matching = new BitSet();
            matching.set(3);
            final PeerSet set = new PeerSetBuilder().selector(2, matching).selector(130, new BitSet()).build();
            assertTrue(set.contains(3, 0));
            assertSame(set, set.withIdentities(new int[] {3, 4}, new long[][] {selectors(2), selectors(1)}),
                "3 still matches, 4 still does not: nothing to copy");
            final PeerSet moved = set.withIdentities(new int[] {3, 200}, new long[][] {selectors(1), selectors(130)});
            assertFalse(moved.contains(3, 0), "3 no longer matches any selector of the set");
            assertTrue(moved.contains(200, 0), "a number beyond the old bitset grows it");
            assertTrue(set.contains(3, 0));
            assertFalse(set.contains(200, 0));
            assertSame(PeerSet.ANY, PeerSet.ANY.withIdentities(new int[] {1}, new long[][] {selectors()}));
        }

        @Test
        void shouldPatchOnlyTheSegmentsAndProtocolsThatChange()
        {
            final PortRules rules = new PortRulesBuilder()
                .anyProtocol(new PeerSetBuilder().selector(1, new BitSet()))
                .ports(UDP, 53, 53, new PeerSetBuilder().selector(2, new BitSet()))
                .build();
            assertSame(rules, rules.withIdentities(new int[] {9}, new long[][] {selectors(3)}));
            final PortRules patched = rules.withIdentities(new int[] {9}, new long[][] {selectors(2)});
            assertTrue(patched.allows(UDP, 53, 9, 0));
            assertFalse(patched.allows(1, 0, 9, 0), "ICMP only through selector 1");
            assertTrue(rules.withIdentities(new int[] {9}, new long[][] {selectors(1)}).allows(1, 0, 9, 0));
        }
    }

    @Nested
    class PortSegments
    {
        private final PeerSetBuilder a = new PeerSetBuilder().identity(1);
        private final PeerSetBuilder b = new PeerSetBuilder().identity(2);

        @Test
        void shouldAllowASinglePortAndNothingAboveOrBelowIt()
        {
            final PortRules rules = new PortRulesBuilder().ports(TCP, 80, 80, a).build();
            assertTrue(rules.allows(TCP, 80, 1, 0));
            assertFalse(rules.allows(TCP, 79, 1, 0));
            assertFalse(rules.allows(TCP, 81, 1, 0), "the port after the last segment");
            assertFalse(rules.allows(TCP, 65535, 1, 0));
            assertFalse(rules.allows(TCP, 0, 1, 0));
            assertFalse(rules.allows(UDP, 80, 1, 0));
            assertFalse(rules.allows(TCP, 80, 2, 0));
        }

        @Test
        void shouldCutOverlappingRangesIntoSegmentsWithTheUnionOfPeers()
        {
            final PortRules rules = new PortRulesBuilder()
                .ports(TCP, 100, 200, a)
                .ports(TCP, 150, 300, b)
                .ports(TCP, 400, 400, a)
                .build();
            assertFalse(rules.allows(TCP, 99, 1, 0));
            assertTrue(rules.allows(TCP, 100, 1, 0));
            assertFalse(rules.allows(TCP, 100, 2, 0));
            assertTrue(rules.allows(TCP, 149, 1, 0));
            assertFalse(rules.allows(TCP, 149, 2, 0));
            assertTrue(rules.allows(TCP, 150, 1, 0));
            assertTrue(rules.allows(TCP, 150, 2, 0));
            assertTrue(rules.allows(TCP, 200, 1, 0));
            assertTrue(rules.allows(TCP, 200, 2, 0));
            assertFalse(rules.allows(TCP, 201, 1, 0));
            assertTrue(rules.allows(TCP, 201, 2, 0));
            assertTrue(rules.allows(TCP, 300, 2, 0));
            assertFalse(rules.allows(TCP, 301, 2, 0));
            assertFalse(rules.allows(TCP, 399, 1, 0));
            assertTrue(rules.allows(TCP, 400, 1, 0));
            assertFalse(rules.allows(TCP, 401, 1, 0));
            assertFalse(rules.allows(TCP, 65535, 1, 0));
        }

        @Test
        void shouldHandleTheFullPortRangeUpTo65535()
        {
            final PortRules rules = new PortRulesBuilder().ports(UDP, 0, 65535, a).ports(SCTP, 65535, 65535, b).build();
            assertTrue(rules.allows(UDP, 0, 1, 0));
            assertTrue(rules.allows(UDP, 65535, 1, 0));
            assertTrue(rules.allows(SCTP, 65535, 2, 0));
            assertFalse(rules.allows(SCTP, 65534, 2, 0));
            assertFalse(rules.allows(TCP, 1, 1, 0));
        }

        @Test
        void shouldAllowAnyProtocolPeersOnEveryProtocolButPortedPeersOnTheirsOnly()
        {
            final PortRules rules = new PortRulesBuilder().anyProtocol(a).ports(TCP, 1, 65535, b).build();
            assertTrue(rules.allows(1, 0, 1, 0), "ICMP");
            assertTrue(rules.allows(47, 0, 1, 0), "GRE");
            assertTrue(rules.allows(TCP, 5, 1, 0));
            assertFalse(rules.allows(1, 0, 2, 0), "ICMP is never a ported rule's");
            assertTrue(rules.allows(TCP, 5, 2, 0));
            assertFalse(rules.allows(UDP, 5, 2, 0));
        }

        @Test
        void shouldIgnoreEmptyPeersAndProtocolsWithoutPorts()
        {
            final PortRules rules = new PortRulesBuilder()
                .ports(TCP, 80, 90, new PeerSetBuilder())
                .ports(1, 0, 65535, a)
                .build();
            assertFalse(rules.allows(TCP, 85, 1, 0));
            assertFalse(rules.allows(1, 0, 1, 0));
        }

        @Test
        void shouldAgreeWithAnOracleOnRandomSegments()
        {
            final SplittableRandom random = new SplittableRandom(0x9047L);
            for (int round = 0; round < 300; round++)
            {
                final PortRulesBuilder builder = new PortRulesBuilder();
                final List<int[]> items = new ArrayList<>();
                for (int i = random.nextInt(0, 6); i > 0; i--)
                {
                    final int first = random.nextInt(0, 40) + (random.nextBoolean() ? 65500 : 0);
                    final int last = Math.min(65535, first + random.nextInt(0, 10));
                    final int identity = random.nextInt(1, 4);
                    builder.ports(TCP, first, last, new PeerSetBuilder().identity(identity));
                    items.add(new int[] {first, last, identity});
                }
                final PortRules rules = builder.build();
                for (final int port : portsToProbe())
                {
                    for (int identity = 0; identity < 4; identity++)
                    {
                        boolean expected = false;
                        for (final int[] item : items)
                        {
                            expected |= port >= item[0] && port <= item[1] && identity == item[2];
                        }
                        assertEquals(expected, rules.allows(TCP, port, identity, 0),
                            "round " + round + " port " + port + " identity " + identity);
                    }
                }
            }
        }

        private static List<Integer> portsToProbe()
        {
            final List<Integer> ports = new ArrayList<>();
            for (int port = 0; port < 60; port++)
            {
                ports.add(port);
                ports.add(65535 - port);
            }
            return ports;
        }
    }
}
