package dev.podswitch.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import dev.podswitch.cni.CniVersions;
import dev.podswitch.cni.CniWire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What fuzzing the CNI front found ({@link CniHandlerFuzzTest}, {@link CniWireFuzzTest}), each as
 * the smallest invocation that shows it. Disabled while the finding is open, so the build stays
 * green; enable a test with its fix, and delete the matching case in {@link CniFuzzChecks#handle}.
 */
class CniHandlerFuzzFindingsTest
{
    @TempDir
    Path directory;

    @Test
    void shouldRefuseANetnsWithANulCharacterAsAnInvalidEnvironment() throws IOException
    {
        final HandlerFixture fixture = new HandlerFixture(directory);
        final Map<String, String> environment = fixture.env("ADD", "c0ffee01");
        environment.put("CNI_NETNS", "/proc/self\0/ns/net");
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        CniWire.writeRequest(new DataOutputStream(wire), CniWire.KIND_CNI, environment,
            HandlerFixture.CONFIG_100.getBytes(StandardCharsets.UTF_8));
        final CniWire.Request request = CniWire.readRequest(new DataInputStream(new ByteArrayInputStream(wire.toByteArray())));

        final CniHandler.Outcome outcome = fixture.handler.handle(request.pairs(), request.body());

        final JsonNode error = HandlerFixture.json(outcome);
        assertEquals(1, outcome.exitStatus(), outcome.stdout());
        assertNotEquals("podswitch agent error", error.path("msg").asText(), outcome.stdout());
        final int code = error.path("code").asInt();
        assertTrue(code == CniVersions.INVALID_ENVIRONMENT || code == CniVersions.UNKNOWN_CONTAINER, outcome.stdout());
        assertTrue(fixture.store.all().isEmpty() && fixture.network.leases.isEmpty(), "nothing attached, nothing leased");
    }
}
