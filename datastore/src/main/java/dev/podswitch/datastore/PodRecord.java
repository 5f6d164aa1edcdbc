package dev.podswitch.datastore;

import java.util.Map;

/** A pod as the datastore holds it, written by the agent whose node runs it. */
public record PodRecord(String namespace, String name, String node, int ip, Map<String, String> labels)
{
    public PodRecord
    {
        labels = Map.copyOf(labels);
    }

    public String key()
    {
        return namespace + "/" + name;
    }
}
