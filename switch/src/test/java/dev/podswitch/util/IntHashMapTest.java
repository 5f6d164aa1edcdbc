package dev.podswitch.util;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link IntHashMap} against {@link HashMap} as the oracle, on random, edge and colliding keys. */
class IntHashMapTest
{
    private static final long SEED = 0x1A7_4A5BL;

    @Test
    void shouldAgreeWithHashMapWhenGivenRandomKeysAndOverwrites()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        for (int round = 0; round < 500; round++)
        {
            final int expectedSize = random.nextInt(0, 300);
            final IntHashMap<String> map = new IntHashMap<>(expectedSize);
            final Map<Integer, String> oracle = new HashMap<>();
            final int[] pool = keyPool(random, Math.max(1, expectedSize));
            final int puts = expectedSize * 3;
            for (int i = 0; i < puts; i++)
            {
                final int key = pool[random.nextInt(pool.length)];
                if (oracle.size() == Math.max(expectedSize, 1) && !oracle.containsKey(key))
                {
                    continue;
                }
                final String value = "v" + i;
                map.put(key, value);
                oracle.put(key, value);
                assertEquals(oracle.size(), map.size(), "round " + round + " put " + i);
            }
            for (final int key : pool)
            {
                assertEquals(oracle.get(key), map.get(key), "round " + round + " key " + key);
            }
            for (int i = 0; i < 200; i++)
            {
                final int absent = random.nextInt();
                assertEquals(oracle.get(absent), map.get(absent));
            }
        }
    }

    @Test
    void shouldStoreZeroNegativeAndExtremeKeysWhenTheyAreRealKeys()
    {
        final int[] keys = {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x0AF4_0002, 0xC0A8_0101, -0x0AF4_0002};
        final IntHashMap<Integer> map = new IntHashMap<>(keys.length);
        assertNull(map.get(0), "an empty slot is not key 0");
        for (int i = 0; i < keys.length; i++)
        {
            map.put(keys[i], i);
        }
        for (int i = 0; i < keys.length; i++)
        {
            assertEquals(i, map.get(keys[i]));
        }
        assertEquals(keys.length, map.size());
        assertNull(map.get(2));
    }

    @Test
    void shouldFindEveryKeyWhenAllKeysCollideInOneBucket()
    {
        // Keys whose hashes share the low bits all probe from one slot: linear probing must chain them.
        final int capacityMask = 63;
        final IntHashMap<Integer> map = new IntHashMap<>(32);
        final Map<Integer, Integer> oracle = new HashMap<>();
        final int target = hash(12345) & capacityMask;
        for (int key = 0; oracle.size() < 32; key++)
        {
            if ((hash(key) & capacityMask) == target)
            {
                map.put(key, key);
                oracle.put(key, key);
            }
        }
        oracle.forEach((key, value) -> assertEquals(value, map.get(key)));
        assertEquals(32, map.size());
        for (int key = -1000; key < 0; key++)
        {
            assertNull(map.get(key));
        }
    }

    @Test
    void shouldReplaceValueWhenKeyIsPutAgainAtFullCapacity()
    {
        final IntHashMap<String> map = new IntHashMap<>(4);
        for (int key = 0; key < 4; key++)
        {
            map.put(key, "first");
        }
        map.put(3, "second");
        assertEquals("second", map.get(3));
        assertEquals(4, map.size());
    }

    @Test
    void shouldRefuseWhenMoreKeysThanSizedForOrNullValue()
    {
        final IntHashMap<String> map = new IntHashMap<>(4);
        assertThrows(IllegalArgumentException.class, () -> map.put(1, null));
        int key = 0;
        while (key < 1000)
        {
            try
            {
                map.put(key, "x");
            }
            catch (final IllegalStateException full)
            {
                break;
            }
            key++;
        }
        assertEquals(key, map.size());
        assertEquals(true, key >= 4 && key < 1000, "holds at least the expected size: " + key);
        for (int k = 0; k < key; k++)
        {
            assertEquals("x", map.get(k));
        }
    }

    /** The same mix IntHashMap uses, to build colliding keys; the test fails if it drifts. */
    private static int hash(final int key)
    {
        final int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Random keys plus 0, negatives, extremes, and neighbours (pod IPs are consecutive). */
    private static int[] keyPool(final SplittableRandom random, final int size)
    {
        final int[] pool = new int[size * 2 + 8];
        int i = 0;
        for (final int edge : new int[] {0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE, -2, 0x0AF4_0000, 0x0AF4_0001})
        {
            pool[i++] = edge;
        }
        final int base = random.nextInt();
        while (i < pool.length)
        {
            pool[i] = random.nextBoolean() ? random.nextInt() : base + i;
            i++;
        }
        return pool;
    }
}
