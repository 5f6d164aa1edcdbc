package dev.podswitch.agent.cni;

import dev.podswitch.cni.CniVersions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A {@link CniHandler} on a {@link FakePodNetwork} and a real {@link AttachmentStore} in a temp
 * directory, with what a runtime sends built the way libcni builds it: the six {@code CNI_*}
 * variables and the network config on stdin. The "network namespace" is a plain file: the
 * handler's namespace check here only asks that CNI_NETNS exist (code 3 when not), since the fake
 * network never enters it ({@link NetworkNamespaceFile}'s own tests check the real one).
 */
final class HandlerFixture
{
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CONFIG_100 = "{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\",\"type\":\"podswitch\"}";
    static final String CONFIG_110 = "{\"cniVersion\":\"1.1.0\",\"name\":\"podnet\",\"type\":\"podswitch\"}";

    final FakePodNetwork network = new FakePodNetwork();
    final AttachmentStore store;
    final CniHandler handler;
    final Path netns;

    HandlerFixture(final Path directory)
    {
        try
        {
            store = new AttachmentStore(directory);
            handler = new CniHandler(network, store, netns ->
            {
                if (!Files.exists(Path.of(netns)))
                {
                    throw new CniError(CniVersions.UNKNOWN_CONTAINER, "network namespace does not exist", netns);
                }
            });
            netns = Files.createFile(directory.resolve("netns-pod1"));
        }
        catch (final IOException failed)
        {
            throw new UncheckedIOException(failed);
        }
    }

    /** The environment libcni gives a plugin for ADD, CHECK and DEL (cnitool's CNI_ARGS default: set, empty). */
    Map<String, String> env(final String command, final String containerId)
    {
        final Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        env.put("CNI_NETNS", netns.toString());
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    CniHandler.Outcome run(final Map<String, String> env, final String stdin)
    {
        return handler.handle(env, stdin.getBytes(StandardCharsets.UTF_8));
    }

    CniHandler.Outcome run(final String command, final String containerId, final String stdin)
    {
        return run(env(command, containerId), stdin);
    }

    /** ADD that must succeed; returns its result. */
    JsonNode add(final String containerId)
    {
        final CniHandler.Outcome outcome = run("ADD", containerId, CONFIG_100);
        assertEquals(0, outcome.exitStatus(), outcome.stdout());
        return json(outcome);
    }

    /** The config with {@code prevResult} set, as libcni sends it for CHECK and DEL after an ADD. */
    static String withPrevResult(final String config, final JsonNode previous)
    {
        return config.substring(0, config.length() - 1) + ",\"prevResult\":" + previous + "}";
    }

    static JsonNode json(final CniHandler.Outcome outcome)
    {
        try
        {
            return JSON.readTree(outcome.stdout());
        }
        catch (final IOException notJson)
        {
            throw new AssertionError("stdout is not JSON: " + outcome.stdout(), notJson);
        }
    }

    /** A JSON array of strings as a list. */
    static List<String> texts(final JsonNode array)
    {
        final List<String> texts = new ArrayList<>();
        array.forEach(element -> texts.add(element.asText()));
        return texts;
    }

    /** Asserts the spec's error shape (exit 1, {@code code}, {@code msg}) and returns the error JSON. */
    static JsonNode error(final CniHandler.Outcome outcome, final int code)
    {
        assertEquals(1, outcome.exitStatus(), "a failure exits non-zero: " + outcome.stdout());
        final JsonNode error = json(outcome);
        assertEquals(code, error.path("code").asInt(), outcome.stdout());
        assertEquals(true, error.path("msg").isTextual(), "an error has a msg: " + outcome.stdout());
        return error;
    }
}
