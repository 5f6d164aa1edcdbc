package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The JSON records round-trip, and anything else in etcd — another version's record, a hand edit,
 * random bytes — is a {@link Records.Invalid} naming the key, never another exception.
 */
class RecordsTest
{
    private static final String KEY = "/podswitch/some/key";
    private static final Ipv4Cidr SUBNET = Ipv4Cidr.parse("10.244.1.0/24");

    @Test
    void shouldRoundTripEveryRecord() throws Exception
    {
        final ClusterConfig config = new ClusterConfig(Ipv4Cidr.parse("10.10.0.0/16"), 26, 4242);
        assertEquals(config, Records.config(KEY, Records.config(config)));

        final SubnetLease lease = new SubnetLease(SUBNET, "node-1", Ipv4.parse("192.168.1.10"), 0x0A58_0AF4_0101L, 0x1234);
        assertEquals(lease, Records.subnet(KEY, SUBNET, Records.subnet(lease), 0x1234));

        final PodRecord pod = new PodRecord("default", "web", "node-1", Ipv4.parse("10.244.1.5"),
            Map.of("app", "web", "tier", "front"));
        assertEquals(pod, Records.pod(KEY, Records.pod(pod)));
        final PodRecord bare = new PodRecord("default", "bare", "node-1", Ipv4.parse("10.244.1.6"), Map.of());
        assertEquals(bare, Records.pod(KEY, Records.pod(bare)));

        final Map<String, String> labels = Map.of("team", "a", "kubernetes.io/metadata.name", "blue");
        assertEquals(labels, Records.namespaceLabels(KEY, Records.namespace("blue", labels)));

        final Map<String, Object> manifest = Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
            "metadata", Map.of("name", "deny", "namespace", "default"),
            "spec", Map.of("podSelector", Map.of(), "policyTypes", List.of("Ingress")));
        assertEquals(manifest, Records.object(KEY, Records.encode(manifest)));
    }

    @Test
    void shouldWriteMacsAsColonSeparatedHex()
    {
        assertEquals("0a:58:0a:f4:01:01", SubnetLease.macText(0x0A58_0AF4_0101L));
        assertEquals(0x0A58_0AF4_0101L, SubnetLease.parseMac("0a:58:0a:f4:01:01"));
        assertEquals(0xFFFF_FFFF_FFFFL, SubnetLease.parseMac(SubnetLease.macText(0xFFFF_FFFF_FFFFL)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not json", "[1,2]", "null", "42", "\"text\"", "{", "{\"vni\":1}",
        "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":24,\"vni\":\"1\"}",
        "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":24.5,\"vni\":1}",
        "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":24,\"vni\":99999999999}",
        "{\"clusterCIDR\":\"10.244.0.1/16\",\"nodePrefixLength\":24,\"vni\":1}",
        "{\"clusterCIDR\":\"fd00::/64\",\"nodePrefixLength\":24,\"vni\":1}",
        "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":16,\"vni\":1}",
        "{\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":24,\"vni\":0}",
        "{\"clusterCIDR\":7,\"nodePrefixLength\":24,\"vni\":1}"})
    void shouldRefuseAMalformedConfigNamingTheKey(final String value)
    {
        assertInvalid(() -> Records.config(KEY, utf8(value)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "[]",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.300\",\"vtepMac\":\"0a:58:0a:f4:01:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"fd00::1\",\"vtepMac\":\"0a:58:0a:f4:01:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10/24\",\"vtepMac\":\"0a:58:0a:f4:01:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":3232235786,\"vtepMac\":\"0a:58:0a:f4:01:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"0a:58:0a:f4:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"0a:58:0a:f4:01:zz\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"0a:58:0a:f4:01:001\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"-1:58:0a:f4:01:01\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"\"}",
        "{\"node\":\"n\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":12}",
        "{\"node\":\"\",\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"0a:58:0a:f4:01:01\"}",
        "{\"node\":[\"n\"],\"underlayAddress\":\"192.168.1.10\",\"vtepMac\":\"0a:58:0a:f4:01:01\"}"})
    void shouldRefuseAMalformedSubnetLeaseNamingTheKey(final String value)
    {
        assertInvalid(() -> Records.subnet(KEY, SUBNET, utf8(value), 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\"}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1\"}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"010.244.1.5\"}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1.5\",\"labels\":[]}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1.5\",\"labels\":null}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1.5\",\"labels\":{\"app\":7}}",
        "{\"namespace\":\"d\",\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1.5\",\"labels\":{\"app\":null}}",
        "{\"namespace\":1,\"name\":\"w\",\"node\":\"n\",\"ip\":\"10.244.1.5\"}"})
    void shouldRefuseAMalformedPodNamingTheKey(final String value)
    {
        assertInvalid(() -> Records.pod(KEY, utf8(value)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{\"labels\":\"team=a\"}", "{\"labels\":{\"team\":{\"a\":1}}}"})
    void shouldRefuseMalformedNamespaceLabelsNamingTheKey(final String value)
    {
        assertInvalid(() -> Records.namespaceLabels(KEY, utf8(value)));
    }

    @Test
    void shouldReadANamespaceWithoutLabelsAsNone() throws Exception
    {
        assertEquals(Map.of(), Records.namespaceLabels(KEY, utf8("{\"name\":\"blue\"}")));
    }

    @Test
    void shouldNeverThrowAnythingButInvalidOnRandomBytes()
    {
        // Random bytes, and random cuts of valid records: the decoders' only failure is Invalid.
        final Random random = new Random(20_241_203);
        final List<byte[]> valid = List.of(Records.config(ClusterConfigs.DEFAULT),
            Records.subnet(new SubnetLease(SUBNET, "n", Ipv4.parse("192.168.1.10"), 0x0A58_0AF4_0101L, 0)),
            Records.pod(new PodRecord("d", "w", "n", Ipv4.parse("10.244.1.5"), Map.of("a", "b"))),
            Records.namespace("blue", Map.of("a", "b")));
        for (int round = 0; round < 5_000; round++)
        {
            final byte[] bytes;
            if (round % 2 == 0)
            {
                bytes = new byte[random.nextInt(64)];
                random.nextBytes(bytes);
            }
            else
            {
                final byte[] record = valid.get(random.nextInt(valid.size())).clone();
                record[random.nextInt(record.length)] = (byte)(' ' + random.nextInt(95));
                bytes = record;
            }
            decodeAll(bytes);
        }
    }

    private static void decodeAll(final byte[] bytes)
    {
        final List<Decoder> decoders = List.of(value -> Records.config(KEY, value),
            value -> Records.subnet(KEY, SUBNET, value, 0), value -> Records.pod(KEY, value),
            value -> Records.namespaceLabels(KEY, value), value -> Records.object(KEY, value));
        for (final Decoder decoder : decoders)
        {
            try
            {
                decoder.decode(bytes);
            }
            catch (final Records.Invalid expected)
            {
                assertTrue(expected.getMessage().startsWith(KEY + ": "), expected.getMessage());
            }
            catch (final RuntimeException unexpected)
            {
                fail("decoding " + new String(bytes, StandardCharsets.ISO_8859_1) + " threw " + unexpected, unexpected);
            }
        }
    }

    @FunctionalInterface
    private interface Decoder
    {
        Object decode(byte[] value) throws Records.Invalid;
    }

    @FunctionalInterface
    private interface Attempt
    {
        Object decode() throws Records.Invalid;
    }

    /** Invalid, naming the key; anything else (another exception, or a value) fails the test. */
    private static void assertInvalid(final Attempt attempt)
    {
        final Records.Invalid invalid = assertThrows(Records.Invalid.class, attempt::decode);
        assertTrue(invalid.getMessage().startsWith(KEY + ": "), invalid.getMessage());
    }

    private static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
