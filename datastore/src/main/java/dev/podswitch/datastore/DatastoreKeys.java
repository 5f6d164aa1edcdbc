package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;

/**
 * The key layout under the prefix ({@code /podswitch/} by default), documented in
 * docs/multi-host.md:
 * <pre>
 *   config                         {clusterCIDR, nodePrefixLength, vni}
 *   subnets/10.244.1.0-24          {node, underlayAddress, vtepMac}       bound to the node's etcd lease
 *   pods/NAMESPACE/NAME            {namespace, name, node, ip, labels}    bound to the same lease
 *   namespaces/NAME                {name, labels}
 *   networkpolicies/NAMESPACE/NAME the manifest as applied (JSON)
 * </pre>
 * Subnets are keyed by the subnet, as flannel keys its leases, so claiming one is "create this key
 * if it does not exist".
 */
public record DatastoreKeys(String prefix)
{
    public static final String DEFAULT_PREFIX = "/podswitch/";
    public static final String CONFIG = "config";
    public static final String SUBNETS = "subnets/";
    public static final String PODS = "pods/";
    public static final String NAMESPACES = "namespaces/";
    public static final String POLICIES = "networkpolicies/";

    public DatastoreKeys
    {
        if (prefix == null || prefix.isEmpty() || !prefix.startsWith("/"))
        {
            throw new IllegalArgumentException("--etcd-prefix must start with /, e.g. " + DEFAULT_PREFIX + ", got \"" + prefix
                + "\"");
        }
        if (!prefix.endsWith("/"))
        {
            prefix = prefix + "/";
        }
    }

    public String config()
    {
        return prefix + CONFIG;
    }

    public String subnet(final Ipv4Cidr subnet)
    {
        return prefix + SUBNETS + subnet.toString().replace('/', '-');
    }

    public String pod(final String namespace, final String name)
    {
        return prefix + PODS + namespace + "/" + name;
    }

    public String namespace(final String name)
    {
        return prefix + NAMESPACES + name;
    }

    public String policy(final String namespace, final String name)
    {
        return prefix + POLICIES + namespace + "/" + name;
    }

    /** {@code 10.244.1.0-24} → the subnet, or null when the key's tail is not one. */
    public static Ipv4Cidr subnetOf(final String tail)
    {
        try
        {
            return Ipv4Cidr.parse(tail.replace('-', '/'));
        }
        catch (final RuntimeException malformed)
        {
            return null;
        }
    }
}
