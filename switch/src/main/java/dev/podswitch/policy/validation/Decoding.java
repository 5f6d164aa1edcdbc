package dev.podswitch.policy.validation;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The errors and warnings of one decode, and typed reads of the plain Java body that record a
 * type error instead of throwing, so decoding carries on and every problem is reported, as the API
 * server does. Reads return null (or an empty collection) for absent, null and mistyped values;
 * JSON null means "absent" to the API server too. One per {@link NetworkPolicyDecoder#decode} call.
 */
final class Decoding
{
    private final List<FieldError> errors = new ArrayList<>();
    private final List<FieldError> warnings = new ArrayList<>();

    List<FieldError> errors()
    {
        return errors;
    }

    List<FieldError> warnings()
    {
        return warnings;
    }

    void required(final String path, final String detail)
    {
        errors.add(new FieldError(path, detail.isEmpty() ? "Required value" : "Required value: " + detail));
    }

    void invalid(final String path, final Object value, final String detail)
    {
        errors.add(new FieldError(path, "Invalid value: " + show(value) + ": " + detail));
    }

    void forbidden(final String path, final String detail)
    {
        errors.add(new FieldError(path, "Forbidden: " + detail));
    }

    void notSupported(final String path, final Object value, final List<String> supported, final String hint)
    {
        final List<String> quoted = supported.stream().map(Decoding::show).toList();
        errors.add(new FieldError(path, "Unsupported value: " + show(value) + ": supported values: " +
            String.join(", ", quoted) + hint));
    }

    void tooLong(final String path, final String detail)
    {
        errors.add(new FieldError(path, "Too long: " + detail));
    }

    void warn(final String path, final String message)
    {
        warnings.add(new FieldError(path, message));
    }

    /**
     * An object with the given fields. Unknown fields are errors, as with kubectl's default strict
     * field validation. A null element of a list is Go's zero value, so {@code orEmpty} turns it into {}.
     */
    Map<String, Object> object(
        final Object value,
        final String path,
        final String typeName,
        final List<String> fields,
        final boolean orEmpty)
    {
        if (value == null)
        {
            return orEmpty ? Map.of() : null;
        }
        if (!(value instanceof Map<?, ?> map))
        {
            wrongType(path, value, "an object (" + typeName + ")", "");
            return orEmpty ? Map.of() : null;
        }
        final Map<String, Object> object = new LinkedHashMap<>();
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            final String key = String.valueOf(entry.getKey());
            if (!fields.contains(key))
            {
                errors.add(new FieldError(field(path, key), "Unknown field: " + typeName + " has no field \"" + key +
                    "\"; its fields are " + String.join(", ", fields)));
                continue;
            }
            object.put(key, entry.getValue());
        }
        return object;
    }

    /** A list; absent and null are empty. */
    List<Object> list(final Object value, final String path)
    {
        if (value == null)
        {
            return List.of();
        }
        if (!(value instanceof List<?> list))
        {
            wrongType(path, value, "a list", value instanceof Map ? "; start each entry with \"- \"" : "");
            return List.of();
        }
        return new ArrayList<>(list);
    }

    String string(final Object value, final String path)
    {
        if (value == null || value instanceof String)
        {
            return (String)value;
        }
        wrongType(path, value, "a string", value instanceof Number || value instanceof Boolean ?
            "; quote it: \"" + value + "\"" : "");
        return null;
    }

    /** An int32 field such as endPort. */
    Integer int32(final Object value, final String path)
    {
        if (value == null)
        {
            return null;
        }
        if (value instanceof Number number)
        {
            final Integer exact = exactInt32(number);
            if (exact == null)
            {
                wrongType(path, value, "a 32-bit integer", "");
            }
            return exact;
        }
        wrongType(path, value, "an integer", value instanceof String text && isDigits(text) ?
            "; it is quoted, so it is a string: write " + text + " without quotes" : "");
        return null;
    }

    /**
     * A map of strings such as labels. Go decodes a null value as "", and a number or boolean is a
     * type error the user fixes by quoting. Entries keep their key in the path.
     */
    Map<String, String> stringMap(final Object value, final String path)
    {
        final Map<String, String> strings = new LinkedHashMap<>();
        if (value == null)
        {
            return strings;
        }
        if (!(value instanceof Map<?, ?> map))
        {
            wrongType(path, value, "a map of strings", "");
            return strings;
        }
        for (final Map.Entry<?, ?> entry : map.entrySet())
        {
            final String key = String.valueOf(entry.getKey());
            final String text = string(entry.getValue(), child(path, key));
            strings.put(key, text == null ? "" : text);
        }
        return strings;
    }

    /** {@code parent.name}: a field of an object. */
    static String field(final String parent, final String name)
    {
        return parent.isEmpty() ? name : parent + "." + name;
    }

    static String index(final String parent, final int index)
    {
        return parent + "[" + index + "]";
    }

    /** {@code map[key]}: an entry of a string map, whose keys may hold dots and slashes. */
    static String child(final String mapPath, final String key)
    {
        return mapPath.isEmpty() ? key : mapPath + "[" + key + "]";
    }

    /** A number with an integral int32 value: YAML 80.0 reaches the API server as JSON 80. */
    static Integer exactInt32(final Number number)
    {
        if (number instanceof Integer integer)
        {
            return integer;
        }
        if (number instanceof Long wide)
        {
            return wide == (int)(long)wide ? (int)(long)wide : null;
        }
        final double asDouble = number.doubleValue();
        return asDouble == Math.rint(asDouble) && asDouble >= Integer.MIN_VALUE && asDouble <= Integer.MAX_VALUE ?
            (int)asDouble : null;
    }

    static boolean isDigits(final String text)
    {
        return !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A value as the API server prints it: strings quoted, numbers bare. */
    static String show(final Object value)
    {
        if (value instanceof String text)
        {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        if (value instanceof Collection<?> list)
        {
            return "[" + String.join(", ", list.stream().map(Decoding::show).toList()) + "]";
        }
        if (value instanceof Map<?, ?>)
        {
            return "{...}";
        }
        return String.valueOf(value);
    }

    /** Upstream rejects these while decoding JSON, before validation; here they join the other errors. */
    void wrongType(final String path, final Object value, final String expected, final String hint)
    {
        errors.add(new FieldError(path, "Invalid value: " + show(value) + ": must be " + expected + ", got " +
            describe(value) + hint));
    }

    private static String describe(final Object value)
    {
        return switch (value)
        {
            case String ignored -> "a string";
            case Boolean ignored -> "a boolean";
            case Number ignored -> "a number";
            case Map<?, ?> ignored -> "an object";
            case List<?> ignored -> "a list";
            default -> value.getClass().getSimpleName();
        };
    }
}
