package dev.podswitch.datastore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.podswitch.ipam.cidr.Ipv4;
import dev.podswitch.ipam.cidr.Ipv4Cidr;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON values under each key. Anything may be in etcd — another version's records, a hand
 * edit, a hostile writer — so decoding never throws: a value that is not the record it should be
 * is an {@link Invalid} naming the key and field, and the caller skips and counts it.
 */
public final class Records
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>()
    {
    };

    /** A value that could not be decoded: which key, and what is wrong with it. */
    public static final class Invalid extends Exception
    {
        public Invalid(final String key, final String problem)
        {
            super(key + ": " + problem, null, false, false);
        }
    }

    private Records()
    {
    }

    public static byte[] encode(final Map<String, ?> value)
    {
        try
        {
            return JSON.writeValueAsBytes(value);
        }
        catch (final JsonProcessingException impossible)
        {
            throw new IllegalStateException("a record of plain maps does not serialise: " + impossible.getMessage(), impossible);
        }
    }

    public static Map<String, Object> object(final String key, final byte[] value) throws Invalid
    {
        try
        {
            final Map<String, Object> object = JSON.readValue(value, OBJECT);
            if (object == null)
            {
                throw new Invalid(key, "null instead of a JSON object");
            }
            return object;
        }
        catch (final java.io.IOException malformed)
        {
            throw new Invalid(key, "not a JSON object: " + malformed.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** {@code namespace/name} of a NetworkPolicy manifest (namespace {@code default} when it names none), as its key says it. */
    public static String policyKey(final Map<String, Object> manifest)
    {
        final Object metadata = manifest.get("metadata");
        final Map<?, ?> fields = metadata instanceof final Map<?, ?> map ? map : Map.of();
        final Object namespace = fields.get("namespace");
        return (namespace instanceof final String text && !text.isEmpty() ? text : "default") + "/" + fields.get("name");
    }

    public static byte[] config(final ClusterConfig config)
    {
        final Map<String, Object> value = new LinkedHashMap<>();
        value.put("clusterCIDR", config.clusterCidr().toString());
        value.put("nodePrefixLength", config.nodePrefixLength());
        value.put("vni", config.vni());
        return encode(value);
    }

    public static ClusterConfig config(final String key, final byte[] bytes) throws Invalid
    {
        final Map<String, Object> value = object(key, bytes);
        try
        {
            return new ClusterConfig(Ipv4Cidr.parse(text(key, value, "clusterCIDR")), integer(key, value, "nodePrefixLength"),
                integer(key, value, "vni"));
        }
        catch (final IllegalArgumentException wrong)
        {
            throw new Invalid(key, wrong.getMessage());
        }
    }

    public static byte[] subnet(final SubnetLease lease)
    {
        final Map<String, Object> value = new LinkedHashMap<>();
        value.put("node", lease.node());
        value.put("underlayAddress", lease.underlayText());
        value.put("vtepMac", SubnetLease.macText(lease.vtepMac()));
        return encode(value);
    }

    public static SubnetLease subnet(final String key, final Ipv4Cidr subnet, final byte[] bytes, final long leaseId)
        throws Invalid
    {
        final Map<String, Object> value = object(key, bytes);
        final String node = text(key, value, "node");
        final int underlay = ip(key, value, "underlayAddress");
        final long mac = SubnetLease.parseMac(text(key, value, "vtepMac"));
        if (mac < 0)
        {
            throw new Invalid(key, "vtepMac: not a MAC address like 0a:58:0a:f4:01:01");
        }
        return new SubnetLease(subnet, node, underlay, mac, leaseId);
    }

    public static byte[] pod(final PodRecord pod)
    {
        final Map<String, Object> value = new LinkedHashMap<>();
        value.put("namespace", pod.namespace());
        value.put("name", pod.name());
        value.put("node", pod.node());
        value.put("ip", Ipv4.format(pod.ip()));
        value.put("labels", new TreeMap<>(pod.labels()));
        return encode(value);
    }

    public static PodRecord pod(final String key, final byte[] bytes) throws Invalid
    {
        final Map<String, Object> value = object(key, bytes);
        return new PodRecord(text(key, value, "namespace"), text(key, value, "name"), text(key, value, "node"),
            ip(key, value, "ip"), labels(key, value));
    }

    public static byte[] namespace(final String name, final Map<String, String> labels)
    {
        final Map<String, Object> value = new LinkedHashMap<>();
        value.put("name", name);
        value.put("labels", new TreeMap<>(labels));
        return encode(value);
    }

    public static Map<String, String> namespaceLabels(final String key, final byte[] bytes) throws Invalid
    {
        return labels(key, object(key, bytes));
    }

    private static String text(final String key, final Map<String, Object> value, final String field) throws Invalid
    {
        if (!(value.get(field) instanceof final String text) || text.isEmpty())
        {
            throw new Invalid(key, field + ": a non-empty string is required");
        }
        return text;
    }

    private static int integer(final String key, final Map<String, Object> value, final String field) throws Invalid
    {
        if (!(value.get(field) instanceof final Integer number))
        {
            throw new Invalid(key, field + ": an integer is required");
        }
        return number;
    }

    private static int ip(final String key, final Map<String, Object> value, final String field) throws Invalid
    {
        try
        {
            return Ipv4.parse(text(key, value, field));
        }
        catch (final IllegalArgumentException notAnAddress)
        {
            throw new Invalid(key, field + ": not an IPv4 address: " + notAnAddress.getMessage());
        }
    }

    private static Map<String, String> labels(final String key, final Map<String, Object> value) throws Invalid
    {
        final Object labels = value.getOrDefault("labels", Map.of());
        if (!(labels instanceof final Map<?, ?> map))
        {
            throw new Invalid(key, "labels: an object of strings is required");
        }
        final Map<String, String> result = new LinkedHashMap<>();
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            if (!(entry.getValue() instanceof final String text))
            {
                throw new Invalid(key, "labels[" + entry.getKey() + "]: a string is required");
            }
            result.put(String.valueOf(entry.getKey()), text);
        }
        return result;
    }

    public static String utf8(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
