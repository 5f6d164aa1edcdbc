package dev.podswitch.util;

import java.util.Arrays;

/**
 * An open-addressing map from {@code int} keys to values, with no boxing on lookup: the data
 * plane looks up pod IPs per packet. Built once by the control plane and then only read, so it
 * needs no synchronisation once published through a final field of an immutable snapshot.
 *
 * <p>In {@code util}, below every plane, because the forwarding and policy tables, the tunnel's
 * VTEP lookups and the policy compiler all use it: in {@code dataplane.forward} it made the tunnel
 * depend on the forward stage that sends into the tunnel (a package cycle).
 */
public final class IntHashMap<V>
{
    private final int[] keys;
    private final Object[] values;
    private final int mask;
    private int size;

    public IntHashMap(final int expectedSize)
    {
        final int capacity = Integer.highestOneBit(Math.max(4, expectedSize) * 2 - 1) << 1;
        keys = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    private static int hash(final int key)
    {
        final int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    public void put(final int key, final V value)
    {
        if (value == null)
        {
            throw new IllegalArgumentException("null values are not stored");
        }
        int index = hash(key) & mask;
        while (values[index] != null && keys[index] != key)
        {
            index = (index + 1) & mask;
        }
        if (values[index] == null)
        {
            // Only a new key needs room; replacing the value of a present one never does.
            if ((size + 1) * 2 > keys.length)
            {
                throw new IllegalStateException("IntHashMap sized for " + keys.length / 2 + " entries, give a larger expectedSize");
            }
            size++;
        }
        keys[index] = key;
        values[index] = value;
    }

    @SuppressWarnings("unchecked")
    public V get(final int key)
    {
        int index = hash(key) & mask;
        Object value;
        while ((value = values[index]) != null)
        {
            if (keys[index] == key)
            {
                return (V)value;
            }
            index = (index + 1) & mask;
        }
        return null;
    }

    public int size()
    {
        return size;
    }

    @Override
    public String toString()
    {
        return "IntHashMap{size=" + size + ", capacity=" + keys.length + ", keys=" + Arrays.toString(keys) + "}";
    }
}
