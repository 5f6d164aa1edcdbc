package dev.podswitch.dataplane.forward;

/**
 * Something attached to one of this node's ports — a pod, or an external host behind an uplink —
 * with the only MAC and IP it may send from (anti-spoofing) and be reached at.
 */
public record LocalEndpoint(int portId, long mac, int ip, Kind kind, String name)
{
    public enum Kind
    {
        POD,
        HOST
    }
}
