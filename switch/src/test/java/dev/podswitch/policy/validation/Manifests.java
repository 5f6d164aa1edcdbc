package dev.podswitch.policy.validation;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NetworkPolicy bodies for tests, written as relaxed JSON ({@code {podSelector: {}, ...}}), which
 * parses to the same plain maps, lists and scalars a YAML reader gives the decoder.
 */
final class Manifests
{
    private static final JsonMapper JSON = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES, JsonReadFeature.ALLOW_SINGLE_QUOTES)
        .build();

    private Manifests()
    {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> body(final String relaxedJson)
    {
        try
        {
            return JSON.readValue(relaxedJson, Map.class);
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException(relaxedJson, ex);
        }
    }

    /** A policy named "p" in namespace "prod" with the given spec. */
    static NetworkPolicyDecoder.Decoded decodeSpec(final String spec)
    {
        return NetworkPolicyDecoder.decode(body("{apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', " +
            "metadata: {name: 'p', namespace: 'prod'}, spec: " + spec + "}"));
    }

    static NetworkPolicyDecoder.Decoded valid(final NetworkPolicyDecoder.Decoded decoded)
    {
        assertTrue(decoded.isValid(), () -> "expected valid, got " + decoded.errors());
        return decoded;
    }

    /** Exactly one error, at {@code path}, whose message holds each fragment. */
    static FieldError onlyError(final NetworkPolicyDecoder.Decoded decoded, final String path, final String... fragments)
    {
        assertFalse(decoded.isValid());
        assertEquals(1, decoded.errors().size(), () -> "expected one error, got " + decoded.errors());
        final FieldError error = decoded.errors().getFirst();
        assertEquals(path, error.fieldPath(), error::toString);
        for (final String fragment : fragments)
        {
            assertTrue(error.message().contains(fragment), () -> "expected \"" + fragment + "\" in: " + error);
        }
        return error;
    }

    static List<String> paths(final NetworkPolicyDecoder.Decoded decoded)
    {
        return decoded.errors().stream().map(FieldError::fieldPath).toList();
    }
}
