package dev.podswitch.cli.api;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** {@code get connections}: the kind's names, where it is read, and its table. */
class ConnectionsTableTest
{
    private static Map<String, Object> endpoint(final String ip, final Integer port, final String pod)
    {
        final Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("ip", ip);
        endpoint.put("port", port);
        endpoint.put("pod", pod);
        return endpoint;
    }

    private static Map<String, Object> connection()
    {
        final Map<String, Object> item = new HashMap<>();
        item.put("node", "node-1");
        item.put("protocol", "TCP");
        item.put("source", endpoint("10.244.0.10", 43512, "default/web"));
        item.put("destination", endpoint("10.244.1.10", 7000, "prod/db"));
        item.put("state", "ESTABLISHED");
        item.put("ageSeconds", 192);
        item.put("expiresInSeconds", 431_999);
        item.put("zone", "default/web");
        item.put("admitted", "ALLOWED");
        item.put("policyGeneration", 3);
        item.put("policyChangedSince", false);
        item.put("packets", Map.of("original", 6, "reply", 5));
        return item;
    }

    @Test
    void shouldKnowTheKindByItsNamesAndAskForOneNode()
    {
        for (final String name : List.of("connections", "connection", "conn", "CONN"))
        {
            assertSame(Resources.Kind.CONNECTIONS, Resources.Kind.of(name));
        }
        assertEquals("/apis/podswitch.dev/v1/connections", Resources.Kind.CONNECTIONS.path(null));
        assertEquals("/apis/podswitch.dev/v1/connections?node=node-2", Resources.Kind.CONNECTIONS.path(null, "node-2"));
        assertEquals("/apis/podswitch.dev/v1/connections?node=n+1&namespace=prod",
            Resources.Kind.CONNECTIONS.path("prod", "n 1"));
        assertEquals(connection(), Resources.Kind.CONNECTIONS.flatten(connection()), "the API's items are flat already");
    }

    @Test
    void shouldPrintOneRowPerConnectionWithBothEndsNamed()
    {
        final String table = Resources.Kind.CONNECTIONS.table(List.of(connection()), false);
        final List<String> lines = table.lines().toList();
        assertEquals(List.of("NODE", "PROTOCOL", "SOURCE", "DESTINATION", "STATE", "AGE", "ZONE"),
            List.of(lines.get(0).split("\\s{2,}")));
        assertEquals(List.of("node-1", "TCP", "10.244.0.10:43512 (default/web)", "10.244.1.10:7000 (prod/db)",
            "ESTABLISHED", "3m12s", "default/web"), List.of(lines.get(1).split("\\s{2,}")));
        final String wide = Resources.Kind.CONNECTIONS.table(List.of(connection()), true);
        assertEquals(List.of("4d23h", "ALLOWED (generation 3)", "6/5"),
            List.of(wide.lines().toList().get(1).split("\\s{2,}")).subList(7, 10), wide);
        assertEquals("No resources found.\n", Resources.Kind.CONNECTIONS.table(List.of(), false));
    }

    @Test
    void shouldPrintAgesAsKubectlDoes()
    {
        assertEquals("0s", Connections.duration(0));
        assertEquals("59s", Connections.duration(59));
        assertEquals("1m", Connections.duration(60));
        assertEquals("5h", Connections.duration(5 * 3600 + 7));
        assertEquals("5h4m", Connections.duration(5 * 3600 + 4 * 60));
        assertEquals("2d3h", Connections.duration(2 * 86_400 + 3 * 3600));
        assertEquals("<unknown>", Connections.duration(null));
        assertEquals("10.244.0.2", Connections.endpoint(endpoint("10.244.0.2", null, null)));
        assertEquals("192.168.5.10:80 (admin)", Connections.endpoint(Map.of("ip", "192.168.5.10", "port", 80,
            "host", "admin")));
    }
}
