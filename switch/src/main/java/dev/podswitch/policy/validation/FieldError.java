package dev.podswitch.policy.validation;

/**
 * One problem with one field, as the API server reports it: {@code fieldPath} in its style
 * ({@code spec.ingress[0].ports[1].endPort}) and {@code message} starting with the error type
 * ({@code Invalid value: 80: must be ...}, {@code Required value}, {@code Unsupported value},
 * {@code Forbidden}). Map entries add the key in brackets ({@code metadata.labels[app]}) where the
 * API server names only the map, so a loader can point at the exact line.
 */
public record FieldError(String fieldPath, String message)
{
    @Override
    public String toString()
    {
        return fieldPath + ": " + message;
    }
}
