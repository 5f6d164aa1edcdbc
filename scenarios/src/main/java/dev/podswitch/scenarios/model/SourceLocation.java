package dev.podswitch.scenarios.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where something was written: a file and a 1-based line and column. Items that come from inline
 * YAML embedded in a scenario (inline manifests, matrix text) point at the scenario file's own
 * line, not at the line inside the embedded block.
 */
public record SourceLocation(Path file, int line, int column)
{
    public SourceLocation
    {
        Objects.requireNonNull(file, "file");
    }

    @Override
    public String toString()
    {
        return line > 0 ? file + ":" + line + ":" + column : file.toString();
    }
}
