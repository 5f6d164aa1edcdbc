package dev.podswitch.datastore;

import dev.podswitch.ipam.cidr.Ipv4Cidr;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The key layout docs/multi-host.md documents; other tools (etcdctl, flannel habits) rely on it. */
class DatastoreKeysTest
{
    private final DatastoreKeys keys = new DatastoreKeys("/podswitch");

    @Test
    void shouldLayOutEveryKeyUnderThePrefix()
    {
        assertEquals("/podswitch/", keys.prefix(), "a missing trailing slash is added");
        assertEquals("/podswitch/config", keys.config());
        assertEquals("/podswitch/subnets/10.244.1.0-24", keys.subnet(Ipv4Cidr.parse("10.244.1.0/24")));
        assertEquals("/podswitch/pods/default/web", keys.pod("default", "web"));
        assertEquals("/podswitch/namespaces/blue", keys.namespace("blue"));
        assertEquals("/podswitch/networkpolicies/default/deny", keys.policy("default", "deny"));
    }

    @Test
    void shouldReadTheSubnetBackFromItsKey()
    {
        assertEquals(Ipv4Cidr.parse("10.244.1.0/24"), DatastoreKeys.subnetOf("10.244.1.0-24"));
        assertNull(DatastoreKeys.subnetOf("10.244.1.5-24"), "host bits set");
        assertNull(DatastoreKeys.subnetOf("garbage"));
        assertNull(DatastoreKeys.subnetOf(""));
    }

    @Test
    void shouldRefuseAPrefixThatIsNotAbsolute()
    {
        assertThrows(IllegalArgumentException.class, () -> new DatastoreKeys("podswitch/"));
        assertThrows(IllegalArgumentException.class, () -> new DatastoreKeys(""));
        assertThrows(IllegalArgumentException.class, () -> new DatastoreKeys(null));
    }
}
