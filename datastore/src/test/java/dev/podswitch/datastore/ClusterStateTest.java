package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding a listing: every record becomes its object, and a key whose value is not what the layout
 * says becomes a problem naming that key — the rest of the cluster still decodes, nothing throws.
 */
class ClusterStateTest
{
    private static final DatastoreKeys KEYS = new DatastoreKeys("/podswitch/");
    private static final SubnetLease N1 = new SubnetLease(Ipv4Cidr.parse("10.244.1.0/24"), "n1", Ipv4.parse("192.168.1.1"),
        0x0A58_0AF4_0101L, 0x11);
    private static final SubnetLease N2 = new SubnetLease(Ipv4Cidr.parse("10.244.2.0/24"), "n2", Ipv4.parse("192.168.1.2"),
        0x0A58_0AF4_0201L, 0x22);
    private static final PodRecord WEB = new PodRecord("default", "web", "n1", Ipv4.parse("10.244.1.5"), Map.of("app", "web"));
    private static final Map<String, Object> POLICY = Map.of("apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy",
        "metadata", Map.of("name", "deny", "namespace", "default"), "spec", Map.of("podSelector", Map.of()));

    private final Map<String, Datastore.Entry> entries = new LinkedHashMap<>();
    private long revision;

    /** A cluster of every kind of record, all well formed. */
    private void seedGoodRecords()
    {
        put("config", Records.config(ClusterConfigs.DEFAULT), 0);
        put("subnets/10.244.1.0-24", Records.subnet(N1), N1.leaseId());
        put("subnets/10.244.2.0-24", Records.subnet(N2), N2.leaseId());
        put("pods/default/web", Records.pod(WEB), N1.leaseId());
        put("namespaces/blue", Records.namespace("blue", Map.of("team", "a")), 0);
        put("networkpolicies/default/deny", Records.encode(POLICY), 0);
    }

    @Test
    void shouldDecodeEveryRecord()
    {
        seedGoodRecords();

        final ClusterState state = decode();

        assertEquals(List.of(), state.problems());
        assertEquals(revision, state.revision());
        assertEquals(ClusterConfigs.DEFAULT, state.config());
        assertEquals(Map.of("n1", N1, "n2", N2), state.nodes(), "with each key's etcd lease");
        assertEquals(Map.of("default/web", WEB), state.pods());
        assertEquals(Map.of("blue", Map.of("team", "a")), state.namespaces());
        assertEquals(Map.of("default/deny", POLICY), state.policies());
        assertEquals(N2, state.holderOf(N2.subnet()));
        assertNull(state.holderOf(Ipv4Cidr.parse("10.244.3.0/24")));
        assertEquals(entries.keySet(), state.raw().keySet());
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "config                       | clusterCIDR=10.244.0.0/16",
        "config                       | {\"clusterCIDR\":\"10.244.0.0/16\",\"nodePrefixLength\":\"24\",\"vni\":1}",
        "subnets/10.244.3.0-24        | not json",
        "subnets/10.244.3.0-24        | {\"node\":\"n3\",\"underlayAddress\":\"192.168.1.256\",\"vtepMac\":\"0a:58:0a:f4:03:01\"}",
        "subnets/10.244.3.0-24        | {\"node\":\"n3\",\"underlayAddress\":\"192.168.1.3\",\"vtepMac\":\"0a-58-0a-f4-03-01\"}",
        "subnets/10.244.3.0-24        | {\"node\":3,\"underlayAddress\":\"192.168.1.3\",\"vtepMac\":\"0a:58:0a:f4:03:01\"}",
        "subnets/garbage              | {\"node\":\"n3\",\"underlayAddress\":\"192.168.1.3\",\"vtepMac\":\"0a:58:0a:f4:03:01\"}",
        "subnets/10.244.3.5-24        | {\"node\":\"n3\",\"underlayAddress\":\"192.168.1.3\",\"vtepMac\":\"0a:58:0a:f4:03:01\"}",
        "pods/default/db              | {oops",
        "pods/default/db              | {\"namespace\":\"default\",\"name\":\"db\",\"node\":\"n1\",\"ip\":\"10.244.1.300\"}",
        "pods/default/db              | {\"namespace\":\"default\",\"name\":\"db\",\"node\":\"n1\",\"ip\":167903493}",
        "pods/default/db              | {\"namespace\":\"default\",\"name\":\"db\",\"node\":\"n1\",\"ip\":\"10.244.1.6\",\"labels\":{\"a\":1}}",
        "pods/default/db              | {\"namespace\":\"default\",\"name\":\"web\",\"node\":\"n1\",\"ip\":\"10.244.1.6\"}",
        "pods/other/db                | {\"namespace\":\"default\",\"name\":\"db\",\"node\":\"n1\",\"ip\":\"10.244.1.6\"}",
        "namespaces/red               | {\"name\":\"red\",\"labels\":[\"team\"]}",
        "networkpolicies/default/allow| [\"not\",\"an\",\"object\"]"})
    void shouldTurnAMalformedValueIntoAProblemNamingItsKey(final String tail, final String value)
    {
        seedGoodRecords();
        put(tail, value.getBytes(StandardCharsets.UTF_8), 0);

        final ClusterState state = decode();

        assertEquals(1, state.problems().size(), state.problems().toString());
        assertTrue(state.problems().getFirst().startsWith(KEYS.prefix() + tail + ": "), state.problems().toString());
        // Everything else still decodes (the bad key replaced one good record only when it was the config).
        assertEquals(Map.of("n1", N1, "n2", N2), state.nodes());
        assertEquals(Map.of("default/web", WEB), state.pods());
        assertTrue(state.namespaces().containsKey("blue"));
        assertEquals(Map.of("default/deny", POLICY), state.policies());
        assertTrue(state.raw().containsKey(KEYS.prefix() + tail), "raw keeps every key, decodable or not");
    }

    @Test
    void shouldKeepOneSubnetOfANodeHoldingTwo()
    {
        seedGoodRecords();
        final SubnetLease second = new SubnetLease(Ipv4Cidr.parse("10.244.9.0/24"), "n1", N1.underlayAddress(), N1.vtepMac(),
            0x99);
        put("subnets/10.244.9.0-24", Records.subnet(second), second.leaseId());

        final ClusterState state = decode();

        assertEquals(N1, state.nodes().get("n1"), "the first by key order stays");
        assertEquals(List.of(KEYS.prefix() + "subnets/10.244.9.0-24: node n1 already holds 10.244.1.0/24; this second "
            + "subnet is ignored"), state.problems());
        assertNull(state.holderOf(second.subnet()));
    }

    @Test
    void shouldIgnoreKeysOutsideThePrefixAndKeysItDoesNotKnow()
    {
        seedGoodRecords();
        entries.put("/elsewhere/config", new Datastore.Entry("/elsewhere/config", new byte[] {1, 2}, 0, ++revision));
        put("some-future-kind/x", new byte[] {1, 2}, 0);

        assertEquals(List.of(), decode().problems());
    }

    @Test
    void shouldNeverThrowWhateverTheValues()
    {
        final Random random = new Random(42);
        final List<String> tails = List.of("config", "subnets/10.244.3.0-24", "pods/default/web", "namespaces/red",
            "networkpolicies/default/p");
        final List<String> values = List.of("", "null", "[]", "{}", "1", "\"s\"", "{\"labels\":{}}", "{\"node\":null}",
            "{\"clusterCIDR\":\"10.0.0.0/8\",\"nodePrefixLength\":40,\"vni\":1}");
        for (int round = 0; round < 2_000; round++)
        {
            entries.clear();
            seedGoodRecords();
            for (final String tail : tails)
            {
                final byte[] value;
                if (random.nextBoolean())
                {
                    value = values.get(random.nextInt(values.size())).getBytes(StandardCharsets.UTF_8);
                }
                else
                {
                    value = new byte[random.nextInt(32)];
                    random.nextBytes(value);
                }
                put(tail, value, 0);
            }

            final ClusterState state = decode();

            state.problems().forEach(problem -> assertTrue(problem.startsWith(KEYS.prefix()), problem));
        }
    }

    private void put(final String tail, final byte[] value, final long lease)
    {
        final String key = KEYS.prefix() + tail;
        entries.put(key, new Datastore.Entry(key, value, lease, ++revision));
    }

    private ClusterState decode()
    {
        return ClusterState.decode(KEYS, revision, entries);
    }
}
