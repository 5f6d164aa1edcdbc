package dev.podswitch.agent.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.Map;

/**
 * Request and response bodies as JSON: one strict reader (duplicate keys refused, nesting and
 * string lengths bounded, so a hostile body costs bounded memory and stack) and one writer.
 */
public final class JsonBodies
{
    /** Deeper than any Kubernetes manifest needs (a NetworkPolicy is about 8 levels). */
    static final int MAX_NESTING_DEPTH = 64;
    static final int MAX_STRING_LENGTH = 256 * 1024;

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH)
            .maxStringLength(MAX_STRING_LENGTH).build())
        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build())
        .enable(SerializationFeature.INDENT_OUTPUT);
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>()
    {
    };

    private JsonBodies()
    {
    }

    /** A JSON object; a body that is not one is a 400 that says where it went wrong. */
    public static Map<String, Object> readObject(final byte[] body) throws ApiError
    {
        if (body.length == 0)
        {
            throw ApiError.badRequest("the request needs a JSON object as its body");
        }
        try (JsonParser parser = MAPPER.createParser(body))
        {
            if (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT)
            {
                throw ApiError.badRequest("the body must be a JSON object");
            }
            final Map<String, Object> object = MAPPER.readValue(parser, OBJECT);
            if (parser.nextToken() != null)
            {
                throw ApiError.badRequest("the body has more after its JSON object, at line "
                    + parser.currentLocation().getLineNr() + ", column " + parser.currentLocation().getColumnNr());
            }
            return object;
        }
        catch (final JsonProcessingException malformed)
        {
            final com.fasterxml.jackson.core.JsonLocation where = malformed.getLocation();
            throw ApiError.badRequest("the body is not valid JSON: " + malformed.getOriginalMessage()
                + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")"));
        }
        catch (final java.io.IOException unreadable)
        {
            throw ApiError.badRequest("the body cannot be read: " + unreadable.getMessage());
        }
    }

    public static byte[] write(final Object value)
    {
        try
        {
            return MAPPER.writeValueAsBytes(value);
        }
        catch (final JsonProcessingException cannotHappen)
        {
            throw new IllegalStateException("cannot write a response as JSON", cannotHappen);
        }
    }

    public static ObjectMapper mapper()
    {
        return MAPPER;
    }
}
