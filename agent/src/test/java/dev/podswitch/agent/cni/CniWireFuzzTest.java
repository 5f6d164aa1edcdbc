package dev.podswitch.agent.cni;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.podswitch.cni.CniWire;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes what arrives on the agent's CNI socket: any bytes go through {@link CniWire#readRequest}
 * as {@code CniAgent} reads a connection, and a request it reads goes to a {@link CniHandler} as
 * {@code CniAgent} hands it over. Properties: bytes that are no request are an {@link IOException}
 * (nothing else escapes, and a declared size is never believed beyond {@link CniWire#MAX_BODY});
 * a request reads back the same after {@link CniWire#writeRequest} (what the plugin writes); and
 * the handler's answer holds what {@link CniFuzzChecks} holds it to.
 *
 * <p>Seeds in {@code CniWireFuzzTestInputs/}: a CNI ADD, a DEL and a VERSION as the plugin frames
 * them, and a control request.
 */
class CniWireFuzzTest
{
    @TempDir
    static Path directory;
    private static int runs;

    @FuzzTest
    void shouldReadARequestOrRefuseTheBytesWhenGivenAnyConnection(final byte[] bytes) throws IOException
    {
        final CniWire.Request request;
        try
        {
            request = CniWire.readRequest(new DataInputStream(new ByteArrayInputStream(bytes)));
        }
        catch (final IOException notARequest)
        {
            return;
        }
        assertTrue(request.body().length <= CniWire.MAX_BODY);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        CniWire.writeRequest(new DataOutputStream(written), request.kind(), request.pairs(), request.body());
        final CniWire.Request again = CniWire.readRequest(new DataInputStream(
            new ByteArrayInputStream(written.toByteArray())));
        assertEquals(request.kind(), again.kind());
        assertEquals(List.copyOf(request.pairs().entrySet()), List.copyOf(again.pairs().entrySet()));
        assertArrayEquals(request.body(), again.body());
        if (request.kind() == CniWire.KIND_CNI)
        {
            try (CniFuzzChecks checks = new CniFuzzChecks(directory.resolve("run-" + runs++)))
            {
                checks.handle(request.pairs(), request.body());
            }
        }
    }
}
