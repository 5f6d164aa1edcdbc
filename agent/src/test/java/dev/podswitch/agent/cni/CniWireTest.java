package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniWire;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin ↔ agent framing: what goes in comes out (pairs in order, bodies byte for byte,
 * non-ASCII included), and bytes that are not a request — another program on the socket, a
 * client that died mid-write, absurd sizes — are an IOException, never a huge allocation.
 */
class CniWireTest
{
    private static byte[] request(final int kind, final Map<String, String> pairs, final byte[] body) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CniWire.writeRequest(new DataOutputStream(bytes), kind, pairs, body);
        return bytes.toByteArray();
    }

    private static DataInputStream in(final byte[] bytes)
    {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    @Test
    void shouldReadBackARequestAsWritten() throws IOException
    {
        final Map<String, String> pairs = new LinkedHashMap<>();
        pairs.put("CNI_COMMAND", "ADD");
        pairs.put("CNI_ARGS", "K8S_POD_NAME=café;PODSWITCH_POD_LABELS=app:web");
        pairs.put("CNI_NETNS", "");
        final byte[] body = "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\"}".getBytes(StandardCharsets.UTF_8);

        final CniWire.Request read = CniWire.readRequest(in(request(CniWire.KIND_CNI, pairs, body)));

        assertEquals(CniWire.KIND_CNI, read.kind());
        assertEquals(List.copyOf(pairs.entrySet()), List.copyOf(read.pairs().entrySet()), "same pairs, same order");
        assertArrayEquals(body, read.body());
    }

    @Test
    void shouldReadBackAResponseAsWritten() throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CniWire.writeResponse(new DataOutputStream(bytes), 1, "{\"code\":11}\n".getBytes(StandardCharsets.UTF_8),
            new byte[0]);

        final CniWire.Response read = CniWire.readResponse(in(bytes.toByteArray()));

        assertEquals(1, read.exitStatus());
        assertEquals("{\"code\":11}\n", new String(read.stdout(), StandardCharsets.UTF_8));
        assertEquals(0, read.stderr().length);
    }

    @Test
    void shouldRefuseBytesThatDoNotStartWithTheMagic()
    {
        final IOException error = assertThrows(IOException.class,
            () -> CniWire.readRequest(in("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));

        assertTrue(error.getMessage().contains("magic"), error.getMessage());
    }

    @Test
    void shouldRefuseARequestThatEndsEarly() throws IOException
    {
        final byte[] whole = request(CniWire.KIND_CNI, Map.of("CNI_COMMAND", "ADD"), new byte[100]);

        for (final int cut : new int[] {0, 3, 10, whole.length - 1})
        {
            assertThrows(EOFException.class, () -> CniWire.readRequest(in(Arrays.copyOf(whole, cut))), "cut at " + cut);
        }
    }

    @Test
    void shouldRefuseANegativeOrHugePairCount()
    {
        for (final int count : new int[] {-1, 1025, Integer.MAX_VALUE})
        {
            final byte[] bytes = ints(CniWire.MAGIC, CniWire.KIND_CNI, count);
            final IOException error = assertThrows(IOException.class, () -> CniWire.readRequest(in(bytes)));
            assertTrue(error.getMessage().contains(String.valueOf(count)), error.getMessage());
        }
    }

    @Test
    void shouldRefuseABodyLargerThanTheLimitBeforeAllocatingIt()
    {
        for (final int length : new int[] {-5, CniWire.MAX_BODY + 1})
        {
            final byte[] bytes = ints(CniWire.MAGIC, CniWire.KIND_CNI, 0, length);
            assertThrows(IOException.class, () -> CniWire.readRequest(in(bytes)), "length " + length);
            assertThrows(IOException.class, () -> CniWire.readResponse(in(ints(0, length))), "response length " + length);
        }
    }

    private static byte[] ints(final int... values)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            for (final int value : values)
            {
                out.writeInt(value);
            }
        }
        catch (final IOException impossible)
        {
            throw new AssertionError(impossible);
        }
        return bytes.toByteArray();
    }

    @Test
    void shouldRefuseParametersLongerThanTheBudgetBeforeReadingThem()
    {
        // 64 pairs of 64 KiB values: 4 MiB of strings the old reader allocated for a request of "six variables".
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes))
        {
            out.writeInt(CniWire.MAGIC);
            out.writeInt(CniWire.KIND_CNI);
            out.writeInt(CniWire.MAX_PAIRS);
            final String value = "x".repeat(65_535);
            for (int i = 0; i < CniWire.MAX_PAIRS; i++)
            {
                out.writeUTF("CNI_" + i);
                out.writeUTF(value);
            }
            out.writeInt(0);
        }
        catch (final IOException impossible)
        {
            throw new AssertionError(impossible);
        }

        final IOException error = assertThrows(IOException.class, () -> CniWire.readRequest(in(bytes.toByteArray())));

        assertTrue(error.getMessage().contains(String.valueOf(CniWire.MAX_PAIR_BYTES)), error.getMessage());
    }

    @Test
    void shouldWriteNothingOfARequestTheAgentWouldRefuse()
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        assertThrows(IOException.class, () -> CniWire.writeRequest(new DataOutputStream(bytes), CniWire.KIND_CNI,
            Map.of("CNI_COMMAND", "ADD"), new byte[CniWire.MAX_BODY + 1]));
        assertThrows(IOException.class, () -> CniWire.writeRequest(new DataOutputStream(bytes), CniWire.KIND_CNI,
            Map.of("CNI_ARGS", "x".repeat(CniWire.MAX_PAIR_BYTES)), new byte[0]));

        assertEquals(0, bytes.size());
    }

    @Test
    void shouldReadBackTheLargestRequestItWrites() throws IOException
    {
        final Map<String, String> pairs = Map.of("CNI_ARGS", "é".repeat(CniWire.MAX_PAIR_BYTES / 2 - 4));
        final byte[] body = new byte[CniWire.MAX_BODY];

        final CniWire.Request read = CniWire.readRequest(in(request(CniWire.KIND_CNI, pairs, body)));

        assertEquals(pairs, read.pairs());
        assertEquals(CniWire.MAX_BODY, read.body().length);
    }
}
